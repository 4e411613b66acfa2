#include "core/tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>
#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

#include "core/errors.h"

namespace simscore {
namespace {

constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581, SentencePiece's word marker

// The few protobuf wire-format pieces needed to write a ModelProto (field numbers from
// sentencepiece_model.proto).
void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}
void put_tag(std::string& out, int field, int wire_type) {
  put_varint(out, static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire_type));
}
void put_bytes(std::string& out, int field, std::string_view bytes) {
  put_tag(out, field, 2);
  put_varint(out, bytes.size());
  out.append(bytes);
}
void put_bool(std::string& out, int field, bool value) {
  put_tag(out, field, 0);
  put_varint(out, value ? 1 : 0);
}

bool is_whitespace(UChar32 c) { return u_isUWhiteSpace(c); }

}  // namespace

// libsentencepiece as a normalizer only: a model whose vocabulary is just <unk>, <s>, </s> and the
// one normal piece it insists on, so the text comes back as pieces that are its normalized
// characters (an unknown piece carries its text), with the model's character map and
// SentencePiece's own whitespace handling switched off.
class SentencePieceTokenizer::Normalizer {
 public:
  explicit Normalizer(std::string_view charsmap) {
    std::string proto;
    const auto piece = [&](std::string_view text, int type) {
      std::string entry;
      put_bytes(entry, 1, text);
      put_tag(entry, 3, 0);
      put_varint(entry, static_cast<uint64_t>(type));
      put_bytes(proto, 1, entry);  // ModelProto.pieces
    };
    piece("<unk>", 2);  // UNKNOWN
    piece("<s>", 3);    // CONTROL
    piece("</s>", 3);
    piece(kMetaspace, 1);  // NORMAL
    std::string trainer;
    put_tag(trainer, 3, 0);  // model_type: UNIGRAM
    put_varint(trainer, 1);
    put_bytes(proto, 2, trainer);
    std::string spec;
    put_bytes(spec, 1, "precompiled");
    put_bytes(spec, 2, charsmap);
    put_bool(spec, 3, false);  // add_dummy_prefix
    put_bool(spec, 4, false);  // remove_extra_whitespaces
    put_bool(spec, 5, false);  // escape_whitespaces
    put_bytes(proto, 3, spec);  // ModelProto.normalizer_spec
    const auto status = processor_.LoadFromSerializedProto(proto);
    if (!status.ok())
      throw ModelError("SentencePiece refused the character map: " + status.ToString());
  }

  std::string operator()(std::string_view text) const {
    std::vector<std::string> pieces;
    processor_.Encode(text, &pieces).IgnoreError();
    std::string normalized;
    for (const std::string& piece : pieces) normalized += piece;
    return normalized;
  }

 private:
  sentencepiece::SentencePieceProcessor processor_;
};

SentencePieceTokenizer::SentencePieceTokenizer(SentencePieceConfig config)
    : config_(std::move(config)) {
  for (const AddedToken& token : config_.added_tokens) {
    if (token.normalized)
      throw ModelError("added token \"" + token.content +
                       "\" is matched after normalization, which is not supported with "
                       "SentencePiece");
    if (token.content.empty()) throw ModelError("an added token is empty");
  }
  if (config_.unk_id < 0 || static_cast<size_t>(config_.unk_id) >= config_.vocab.size())
    throw ModelError("the Unigram unk_id is not in the vocabulary");
  if (!config_.precompiled_charsmap.empty())
    normalizer_ = std::make_unique<Normalizer>(config_.precompiled_charsmap);
  double min_score = 0;
  for (size_t id = 0; id < config_.vocab.size(); ++id) {
    const auto& [piece, score] = config_.vocab[id];
    piece_ids_[piece] = static_cast<int32_t>(id);  // a repeated piece: the last one wins, as in HF
    longest_piece_ = std::max(longest_piece_, piece.size());
    min_score = id == 0 ? score : std::min(min_score, score);
  }
  unk_score_ = min_score - 10.0;  // HF's (and SentencePiece's) penalty for an unknown character
  vocab_size_ = config_.vocab.size();
  for (const AddedToken& token : config_.added_tokens)
    vocab_size_ = std::max(vocab_size_, static_cast<size_t>(token.id) + 1);
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

// HF's Precompiled normalizer maps grapheme clusters, not the text: a cluster of 6 bytes or more
// is mapped one character at a time (so "a" + four combining marks is not composed, where
// SentencePiece itself would compose "a" + the first mark). Shorter clusters are mapped whole;
// runs of them go to libsentencepiece in one call.
std::string SentencePieceTokenizer::normalize(std::string_view text) const {
  if (!normalizer_) return std::string(text);
  UErrorCode status = U_ZERO_ERROR;
  UText* utext = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
  std::unique_ptr<icu::BreakIterator> clusters(
      icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status)) {
    utext_close(utext);
    return (*normalizer_)(text);
  }
  clusters->setText(utext, status);
  std::string normalized;
  size_t run = 0;  // start of the run of short clusters not yet normalized
  for (int32_t start = clusters->first(), end = clusters->next(); end != icu::BreakIterator::DONE;
       start = end, end = clusters->next()) {
    const auto begin = static_cast<size_t>(start), stop = static_cast<size_t>(end);
    if (stop - begin < 6) continue;
    normalized += (*normalizer_)(text.substr(run, begin - run));
    for (size_t at = begin; at < stop;) {
      int32_t next = static_cast<int32_t>(at);
      UChar32 c;
      U8_NEXT(reinterpret_cast<const uint8_t*>(text.data()), next, static_cast<int32_t>(stop), c);
      normalized += (*normalizer_)(text.substr(at, static_cast<size_t>(next) - at));
      at = static_cast<size_t>(next);
    }
    run = stop;
  }
  normalized += (*normalizer_)(text.substr(run));
  utext_close(utext);
  return normalized;
}

// HF tokenizers' Unigram::encode_optimized: best path by summed scores, pieces tried from each
// character start, shortest first, a later candidate winning only when strictly better; a character
// no piece covers is <unk> at the penalty score; consecutive unknowns are fused into one <unk>.
void SentencePieceTokenizer::segment_word(std::string_view word, std::vector<int32_t>& ids) const {
  struct Node {
    double score = 0;
    int64_t start = -1;
    int32_t id = 0;
  };
  const size_t size = word.size();
  std::vector<Node> best(size + 1);
  best[0].start = 0;
  size_t start = 0;
  while (start < size) {
    const auto lead = static_cast<unsigned char>(word[start]);
    const size_t char_bytes = std::min<size_t>(
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4, size - start);
    const double here = best[start].score;
    bool single = false;
    const size_t longest = std::min(longest_piece_, size - start);
    for (size_t length = 1; length <= longest; ++length) {
      const auto it = piece_ids_.find(word.substr(start, length));
      if (it == piece_ids_.end()) continue;
      const double candidate = here + config_.vocab[static_cast<size_t>(it->second)].second;
      Node& target = best[start + length];
      if (target.start < 0 || candidate > target.score) target = {candidate, static_cast<int64_t>(start), it->second};
      if (length == char_bytes) single = true;
    }
    if (!single) {
      Node& target = best[start + char_bytes];
      const double candidate = here + unk_score_;
      if (target.start < 0 || candidate > target.score)
        target = {candidate, static_cast<int64_t>(start), config_.unk_id};
    }
    start += char_bytes;
  }
  std::vector<int32_t> reversed;
  for (size_t end = size; end > 0; end = static_cast<size_t>(best[end].start)) {
    const int32_t id = best[end].id;
    if (id == config_.unk_id && !reversed.empty() && reversed.back() == config_.unk_id) continue;
    reversed.push_back(id);
  }
  ids.insert(ids.end(), reversed.rbegin(), reversed.rend());
}

// HF: normalizer, then the pre-tokenizers, then Unigram on each word.
void SentencePieceTokenizer::tokenize_span(std::string_view raw, bool first_span,
                                           std::vector<int32_t>& ids) const {
  std::string text = normalize(raw);
  if (config_.collapse_spaces) {
    std::string collapsed;
    for (char c : text)
      if (c != ' ' || collapsed.empty() || collapsed.back() != ' ') collapsed.push_back(c);
    text = std::move(collapsed);
  }

  // Words: split on Unicode whitespace (WhitespaceSplit), or the whole span (Metaspace alone,
  // where spaces become U+2581 and mark word starts themselves).
  std::vector<std::string> words;
  if (config_.whitespace_split) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    int32_t i = 0, start = -1;
    while (i < length) {
      const int32_t at = i;
      UChar32 c;
      U8_NEXT(bytes, i, length, c);
      if (is_whitespace(c)) {
        if (start >= 0) words.emplace_back(text.substr(start, at - start));
        start = -1;
      } else if (start < 0) {
        start = at;
      }
    }
    if (start >= 0) words.emplace_back(text.substr(start));
  } else if (!text.empty()) {
    std::string replaced;
    for (char c : text) {
      if (c == ' ')
        replaced += kMetaspace;
      else
        replaced.push_back(c);
    }
    words.push_back(std::move(replaced));
  }

  for (size_t w = 0; w < words.size(); ++w) {
    std::string& word = words[w];
    const bool prepend = config_.prepend == PrependScheme::always ||
                         (config_.prepend == PrependScheme::first && first_span && w == 0);
    if (prepend && !word.starts_with(kMetaspace)) word.insert(0, kMetaspace);
    // Metaspace's split: each U+2581 starts a new word.
    size_t begin = 0;
    while (begin < word.size()) {
      size_t next = word.find(kMetaspace, begin + 1);
      if (next == std::string::npos) next = word.size();
      segment_word(std::string_view(word).substr(begin, next - begin), ids);
      begin = next;
    }
  }
}

std::vector<int32_t> SentencePieceTokenizer::tokenize(std::string_view text) const {
  // Added tokens, leftmost first and the longest at one position, as HF's AddedVocabulary
  // splits; lstrip / rstrip swallow the whitespace beside a match.
  std::vector<int32_t> ids;
  size_t position = 0;  // start of the text not yet tokenized
  size_t search = 0;
  bool first_span = true;
  while (search <= text.size()) {
    const AddedToken* best = nullptr;
    size_t best_at = std::string_view::npos;
    for (const AddedToken& token : config_.added_tokens) {
      const size_t at = text.find(token.content, search);
      if (at == std::string_view::npos) continue;
      if (at < best_at || (at == best_at && token.content.size() > best->content.size())) {
        best = &token;
        best_at = at;
      }
    }
    if (!best) break;
    size_t start = best_at;
    size_t end = best_at + best->content.size();
    if (best->single_word) {
      const auto word_char = [](unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; };
      const bool inside = (start > 0 && word_char(text[start - 1])) ||
                          (end < text.size() && word_char(text[end]));
      if (inside) {
        search = best_at + 1;
        continue;
      }
    }
    if (best->lstrip)
      while (start > position && std::isspace(static_cast<unsigned char>(text[start - 1]))) --start;
    if (best->rstrip)
      while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    if (start > position) tokenize_span(text.substr(position, start - position), first_span, ids);
    first_span = false;
    ids.push_back(best->id);
    position = end;
    search = end;
  }
  if (position < text.size()) tokenize_span(text.substr(position), first_span, ids);
  return ids;
}

}  // namespace simscore
