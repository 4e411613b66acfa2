#include "core/tokenizer/wordpiece.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "core/errors.h"

namespace simscore {
namespace {

bool is_continuation_byte(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

enum class CharClass : uint8_t { kWord, kWhitespace, kPunctuation };

CharClass classify(char32_t c) {
  if (bert_chars::is_whitespace(c)) return CharClass::kWhitespace;
  if (bert_chars::is_punctuation(c)) return CharClass::kPunctuation;
  return CharClass::kWord;
}

const std::array<CharClass, 128>& ascii_classes() {
  static const std::array<CharClass, 128> classes = [] {
    std::array<CharClass, 128> table{};
    for (char32_t c = 0; c < 128; ++c) table[c] = classify(c);
    return table;
  }();
  return classes;
}

// BertPreTokenizer: whitespace separates words and is dropped, each punctuation character is a word
// of its own. Calls on_word(word, number of characters in it).
template <typename OnWord>
void for_each_word(std::string_view text, OnWord&& on_word) {
  const auto& ascii = ascii_classes();
  size_t word_start = 0;
  size_t word_chars = 0;
  size_t pos = 0;
  const auto end_word = [&](size_t at) {
    if (word_chars > 0) on_word(text.substr(word_start, at - word_start), word_chars);
    word_chars = 0;
  };
  while (pos < text.size()) {
    const size_t start = pos;
    const unsigned char byte = static_cast<unsigned char>(text[pos]);
    CharClass cls;
    if (byte < 0x80) {
      cls = ascii[byte];
      ++pos;
    } else {
      cls = classify(bert_chars::decode_utf8(text, pos));
    }
    if (cls == CharClass::kWord) {
      if (word_chars == 0) word_start = start;
      ++word_chars;
    } else {
      end_word(start);
      if (cls == CharClass::kPunctuation) on_word(text.substr(start, pos - start), size_t{1});
    }
  }
  end_word(text.size());
}

// Unicode \w as Rust's regex crate defines it (UTS #18): used by single_word added tokens.
bool is_regex_word_char(char32_t c) {
  if (c < 0x80) return std::isalnum(static_cast<int>(c)) || c == '_';
  const auto cp = static_cast<UChar32>(c);
  return u_hasBinaryProperty(cp, UCHAR_ALPHABETIC) || u_hasBinaryProperty(cp, UCHAR_JOIN_CONTROL) ||
         (U_GET_GC_MASK(cp) & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) != 0;
}

char32_t last_char(std::string_view text) {
  size_t start = text.size() - 1;
  while (start > 0 && is_continuation_byte(text[start])) --start;
  return bert_chars::decode_utf8(text, start);
}

uint64_t hash_bytes(const char* data, size_t size) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
  while (size >= 8) {
    uint64_t word;
    std::memcpy(&word, data, 8);
    h = (h ^ word) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    data += 8;
    size -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, data, size);
  h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 29);
}

}  // namespace

// An open-addressing hash table from token text to id. The keys live in one string; a lookup
// hashes the query once and compares bytes only when the stored hash matches.
class WordPieceTokenizer::VocabTable {
 public:
  // Later entries with the same key replace earlier ones, as HuggingFace's vocab loading does.
  explicit VocabTable(const std::vector<std::pair<std::string_view, int32_t>>& entries) {
    size_t capacity = 16;
    while (capacity < entries.size() * 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    size_t total = 0;
    for (const auto& [key, id] : entries) total += key.size();
    keys_.reserve(total);
    for (const auto& [key, id] : entries) {
      if (key.empty()) continue;
      const uint64_t h = hash_bytes(key.data(), key.size());
      Slot* slot = find_slot(key, h);
      if (slot->length == kEmpty) {
        slot->offset = static_cast<uint32_t>(keys_.size());
        slot->length = static_cast<uint32_t>(key.size());
        slot->hash = static_cast<uint32_t>(h);
        keys_.append(key);
        max_key_length_ = std::max(max_key_length_, key.size());
      }
      slot->id = id;
    }
  }

  // -1 when absent.
  int32_t find(std::string_view key) const {
    const uint64_t h = hash_bytes(key.data(), key.size());
    const Slot* slot = const_cast<VocabTable*>(this)->find_slot(key, h);
    return slot->length == kEmpty ? -1 : slot->id;
  }

  size_t max_key_length() const { return max_key_length_; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint32_t offset = 0;
    uint32_t length = kEmpty;
    uint32_t hash = 0;
    int32_t id = -1;
  };

  Slot* find_slot(std::string_view key, uint64_t h) {
    const auto short_hash = static_cast<uint32_t>(h);
    for (size_t i = (h >> 32) & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.length == kEmpty) return &slot;
      if (slot.hash == short_hash && slot.length == key.size() &&
          std::memcmp(keys_.data() + slot.offset, key.data(), key.size()) == 0) {
        return &slot;
      }
    }
  }

  std::string keys_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t max_key_length_ = 0;
};

// Finds added tokens in a text the way tokenizers' AddedVocabulary does: leftmost-longest,
// non-overlapping matches, then the single_word / lstrip / rstrip rules of each token.
class WordPieceTokenizer::AddedTokenMatcher {
 public:
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
    first_bytes_.fill(false);
    std::erase_if(tokens_, [](const AddedToken& token) { return token.content.empty(); });
    for (const AddedToken& token : tokens_) {
      first_bytes_[static_cast<unsigned char>(token.content[0])] = true;
    }
  }

  bool empty() const { return tokens_.empty(); }

  // Calls on_piece(piece, id) for every piece of `text` in order; id is -1 for text between tokens.
  template <typename OnPiece>
  void split(std::string_view text, OnPiece&& on_piece) const {
    size_t emitted = 0;  // text before this has been handed out
    size_t search = 0;
    while (search < text.size()) {
      size_t start = search;
      const AddedToken* token = nullptr;
      for (; start < text.size(); ++start) {
        if (!first_bytes_[static_cast<unsigned char>(text[start])]) continue;
        token = longest_at(text, start);
        if (token) break;
      }
      if (!token) break;
      size_t stop = start + token->content.size();
      search = stop;
      if (token->single_word) {
        const bool space_before =
            start == 0 || !is_regex_word_char(last_char(text.substr(0, start)));
        size_t after = stop;
        const bool space_after =
            stop == text.size() || !is_regex_word_char(bert_chars::decode_utf8(text, after));
        if (!space_before || !space_after) continue;
      }
      if (token->lstrip) {
        size_t new_start = start;
        while (new_start > emitted) {
          size_t previous = new_start - 1;
          while (previous > 0 && is_continuation_byte(text[previous])) --previous;
          size_t at = previous;
          if (!bert_chars::is_whitespace(bert_chars::decode_utf8(text, at))) break;
          new_start = previous;
        }
        start = new_start;
      }
      if (token->rstrip) {
        while (stop < text.size()) {
          size_t next = stop;
          if (!bert_chars::is_whitespace(bert_chars::decode_utf8(text, next))) break;
          stop = next;
        }
        search = stop;
      }
      if (emitted < start) on_piece(text.substr(emitted, start - emitted), -1);
      on_piece(text.substr(start, stop - start), token->id);
      emitted = stop;
    }
    if (emitted < text.size()) on_piece(text.substr(emitted), -1);
  }

 private:
  const AddedToken* longest_at(std::string_view text, size_t start) const {
    const AddedToken* best = nullptr;
    for (const AddedToken& token : tokens_) {
      if (text.compare(start, token.content.size(), token.content) == 0 &&
          (!best || token.content.size() > best->content.size())) {
        best = &token;
      }
    }
    return best;
  }

  std::vector<AddedToken> tokens_;
  std::array<bool, 256> first_bytes_{};
};

WordPieceTokenizer::WordPieceTokenizer(WordPieceConfig config)
    : normalizer_(config.normalizer),
      max_input_chars_per_word_(config.max_input_chars_per_word),
      special_tokens_(config.special_tokens) {
  std::vector<std::pair<std::string_view, int32_t>> words;
  std::vector<std::pair<std::string_view, int32_t>> continuations;
  words.reserve(config.vocab.size());
  const std::string_view prefix = config.continuing_subword_prefix;
  int64_t max_id = -1;
  for (const auto& [token, id] : config.vocab) {
    words.emplace_back(token, id);
    if (std::string_view(token).starts_with(prefix)) {
      continuations.emplace_back(std::string_view(token).substr(prefix.size()), id);
    }
    max_id = std::max<int64_t>(max_id, id);
  }
  words_ = std::make_unique<VocabTable>(words);
  continuations_ = std::make_unique<VocabTable>(continuations);
  const int32_t unk = words_->find(config.unk_token);
  if (unk < 0) {
    throw ModelError("the WordPiece vocabulary has no entry for its unknown token \"" +
                     config.unk_token + "\"");
  }
  unk_id_ = unk;

  std::vector<AddedToken> raw;
  std::vector<AddedToken> normalized;
  for (AddedToken& token : config.added_tokens) {
    max_id = std::max<int64_t>(max_id, token.id);
    if (token.normalized) {
      // Normalized tokens are matched against the normalized text, so normalize their content too.
      std::string content;
      normalizer_.normalize(token.content, content);
      token.content = std::move(content);
      normalized.push_back(std::move(token));
    } else {
      raw.push_back(std::move(token));
    }
  }
  raw_added_ = std::make_unique<AddedTokenMatcher>(std::move(raw));
  normalized_added_ = std::make_unique<AddedTokenMatcher>(std::move(normalized));
  vocab_size_ = static_cast<size_t>(max_id + 1);
}

WordPieceTokenizer::~WordPieceTokenizer() = default;

std::optional<int32_t> WordPieceTokenizer::token_to_id(std::string_view token) const {
  const int32_t id = words_->find(token);
  if (id < 0) return std::nullopt;
  return id;
}

std::vector<int32_t> WordPieceTokenizer::tokenize(std::string_view text) const {
  std::vector<int32_t> ids;
  tokenize(text, ids);
  return ids;
}

void WordPieceTokenizer::tokenize(std::string_view text, std::vector<int32_t>& ids) const {
  // One buffer per thread: tokenizing does not allocate per call once it has grown.
  thread_local std::string normalized;
  if (raw_added_->empty()) {
    normalizer_.normalize(text, normalized);
    tokenize_normalized(normalized, ids);
    return;
  }
  raw_added_->split(text, [&](std::string_view piece, int32_t id) {
    if (id >= 0) {
      ids.push_back(id);
    } else {
      normalizer_.normalize(piece, normalized);
      tokenize_normalized(normalized, ids);
    }
  });
}

void WordPieceTokenizer::tokenize_normalized(std::string_view normalized,
                                             std::vector<int32_t>& ids) const {
  if (normalized_added_->empty()) return tokenize_words(normalized, ids);
  normalized_added_->split(normalized, [&](std::string_view piece, int32_t id) {
    if (id >= 0) {
      ids.push_back(id);
    } else {
      tokenize_words(piece, ids);
    }
  });
}

void WordPieceTokenizer::tokenize_words(std::string_view normalized,
                                        std::vector<int32_t>& ids) const {
  for_each_word(normalized,
                [&](std::string_view word, size_t chars) { tokenize_word(word, chars, ids); });
}

// Greedy longest-match-first: the longest vocabulary entry that starts the rest of the word, with
// the continuation prefix after the first piece. A word with a part no entry matches becomes a
// single unknown token, as does a word longer than max_input_chars_per_word characters.
void WordPieceTokenizer::tokenize_word(std::string_view word, size_t chars,
                                       std::vector<int32_t>& ids) const {
  if (chars > max_input_chars_per_word_) {
    ids.push_back(unk_id_);
    return;
  }
  const size_t first_piece = ids.size();
  size_t start = 0;
  while (start < word.size()) {
    const VocabTable& table = start == 0 ? *words_ : *continuations_;
    size_t end = std::min(word.size(), start + table.max_key_length());
    while (end > start && end < word.size() && is_continuation_byte(word[end])) --end;
    int32_t id = -1;
    while (end > start) {
      id = table.find(word.substr(start, end - start));
      if (id >= 0) break;
      --end;
      while (end > start && is_continuation_byte(word[end])) --end;
    }
    if (id < 0) {
      ids.resize(first_piece);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(id);
    start = end;
  }
}

std::vector<std::string_view> bert_pre_tokenize(std::string_view normalized) {
  std::vector<std::string_view> words;
  for_each_word(normalized, [&](std::string_view word, size_t) { words.push_back(word); });
  return words;
}

}  // namespace simscore
