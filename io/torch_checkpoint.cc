#include "io/torch_checkpoint.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unzip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "core/errors.h"

namespace simscore::io {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxPickleBytes = uint64_t{256} << 20;  // a state dict's pickle is kilobytes

// ---------------------------------------------------------------------------------------------
// The zip archive: where each entry's bytes are. torch writes every entry uncompressed (and pads
// them to 64-byte boundaries), which is what lets a tensor be pread or mapped where it lies.

struct ZipEntry {
  uint64_t data_offset = 0;  // from the start of the file
  uint64_t size = 0;
  bool stored = true;
};

struct ZipArchive {
  std::map<std::string, ZipEntry, std::less<>> entries;
  std::string pickle;  // the bytes of <prefix>/data.pkl
  std::string prefix;  // the archive's folder name, e.g. "archive" or "pytorch_model"
};

class UnzipHandle {
 public:
  explicit UnzipHandle(const fs::path& path) : handle_(unzOpen64(path.c_str())) {}
  ~UnzipHandle() {
    if (handle_) unzClose(handle_);
  }
  UnzipHandle(const UnzipHandle&) = delete;
  UnzipHandle& operator=(const UnzipHandle&) = delete;
  unzFile get() const { return handle_; }

 private:
  unzFile handle_;
};

std::string describe_non_zip(const fs::path& path) {
  std::string head(8, '\0');
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    head.resize(std::fread(head.data(), 1, head.size(), f));
    std::fclose(f);
  }
  // torch < 1.6 wrote a bare pickle stream that starts with a pickled magic number.
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x80 && head[1] >= 2 && head[1] <= 5)
    return "is in the legacy PyTorch format of torch < 1.6, which is not read; re-save it with a "
           "current torch (torch.save(torch.load(path), path)) or convert it to safetensors";
  if (head.starts_with("PK"))
    return "is a truncated or damaged zip archive (its central directory cannot be read)";
  return "is not a PyTorch checkpoint (not a zip archive)";
}

// minizip accepts an end-of-central-directory record that lacks its last bytes; a file cut short
// by even one byte is refused here instead.
bool end_record_complete(int fd, uint64_t file_size) {
  const uint64_t tail = std::min<uint64_t>(file_size, 65535 + 22);
  std::string bytes(tail, '\0');
  if (pread(fd, bytes.data(), tail, static_cast<off_t>(file_size - tail)) != static_cast<ssize_t>(tail))
    return false;
  const size_t at = bytes.rfind(std::string_view("PK\x05\x06", 4));
  if (at == std::string::npos || at + 22 > bytes.size()) return false;
  const size_t comment = static_cast<uint8_t>(bytes[at + 20]) | static_cast<uint8_t>(bytes[at + 21]) << 8;
  return at + 22 + comment <= bytes.size();
}

ZipArchive read_zip(const fs::path& path, int fd, uint64_t file_size) {
  UnzipHandle zip(path);
  if (!zip.get() || !end_record_complete(fd, file_size))
    throw ModelError(fmt::format("{}: {}", path.string(), describe_non_zip(path)));
  ZipArchive archive;
  std::string pickle_name;
  bool torchscript = false;
  int status = unzGoToFirstFile(zip.get());
  for (; status == UNZ_OK; status = unzGoToNextFile(zip.get())) {
    unz_file_info64 info{};
    char name_buffer[4096];
    if (unzGetCurrentFileInfo64(zip.get(), &info, name_buffer, sizeof(name_buffer), nullptr, 0,
                                nullptr, 0) != UNZ_OK)
      throw ModelError(fmt::format("{}: damaged zip directory", path.string()));
    const std::string name(name_buffer, strnlen(name_buffer, sizeof(name_buffer)));
    if (unzOpenCurrentFile(zip.get()) != UNZ_OK)
      throw ModelError(fmt::format("{}: zip entry {} cannot be opened (damaged local header)",
                                   path.string(), name));
    ZipEntry entry;
    entry.data_offset = unzGetCurrentFileZStreamPos64(zip.get());
    entry.size = info.uncompressed_size;
    entry.stored = info.compression_method == 0;
    const uint64_t on_disk = entry.stored ? entry.size : info.compressed_size;
    if (entry.data_offset > file_size || on_disk > file_size - entry.data_offset) {
      unzCloseCurrentFile(zip.get());
      throw ModelError(fmt::format("{}: zip entry {} runs past the end of the file (truncated?)",
                                   path.string(), name));
    }
    const std::string_view base = std::string_view(name).substr(name.rfind('/') + 1);
    if (name.find("/code/") != std::string::npos || base == "constants.pkl") torchscript = true;
    if (base == "data.pkl" && std::count(name.begin(), name.end(), '/') == 1) {
      if (!pickle_name.empty())
        throw ModelError(fmt::format("{}: two pickles ({} and {})", path.string(), pickle_name, name));
      if (entry.size > kMaxPickleBytes)
        throw ModelError(fmt::format("{}: {} is {} bytes, too large for a state dict", path.string(),
                                     name, entry.size));
      archive.pickle.resize(entry.size);
      size_t done = 0;
      while (done < archive.pickle.size()) {
        const int got = unzReadCurrentFile(zip.get(), archive.pickle.data() + done,
                                           static_cast<unsigned>(std::min<size_t>(
                                               archive.pickle.size() - done, 1u << 20)));
        if (got <= 0)
          throw ModelError(fmt::format("{}: {} cannot be read (damaged archive)", path.string(), name));
        done += static_cast<size_t>(got);
      }
      pickle_name = name;
      archive.prefix = name.substr(0, name.find('/'));
    }
    if (unzCloseCurrentFile(zip.get()) == UNZ_CRCERROR)
      throw ModelError(fmt::format("{}: zip entry {} fails its CRC check", path.string(), name));
    archive.entries[name] = entry;
  }
  if (status != UNZ_END_OF_LIST_OF_FILE)
    throw ModelError(fmt::format("{}: damaged zip directory", path.string()));
  if (pickle_name.empty())
    throw ModelError(fmt::format(
        "{}: {}", path.string(),
        torchscript ? "is a TorchScript archive (torch.jit.save), not a state dict saved with "
                      "torch.save; save model.state_dict() instead"
                    : "is a zip archive without a data.pkl: not a torch.save checkpoint"));
  if (const auto it = archive.entries.find(archive.prefix + "/byteorder");
      it != archive.entries.end() && it->second.stored && it->second.size == 3)
    throw ModelError(fmt::format("{}: is a big-endian checkpoint, which is not read",
                                 path.string()));  // "big" is 3 bytes, "little" 6
  return archive;
}

// ---------------------------------------------------------------------------------------------
// The pickle subset of a state dict. Values live in an arena owned by the unpickler, so memo
// references, shared sub-objects and even cycles a hostile file builds cost nothing to free.

struct Storage {
  std::string dtype;  // safetensors spelling
  size_t element = 0;
  std::string key;    // the zip entry <prefix>/data/<key>
  int64_t numel = 0;
};

struct TensorRef {
  const Storage* storage = nullptr;
  int64_t offset = 0;  // elements
  std::vector<int64_t> shape, stride;
};

struct Value {
  enum class Kind { none, boolean, integer, real, string, tuple, dict, global, storage, tensor };
  Kind kind = Kind::none;
  int64_t integer = 0;
  std::string text;  // a string, or a global's "module.name"
  std::vector<Value*> items;
  std::vector<std::pair<Value*, Value*>> entries;
  Storage storage;
  TensorRef tensor;
};
using Kind = Value::Kind;

struct StorageType {
  std::string_view global, dtype;
  size_t element;
};
constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", "F32", 4}, {"torch.HalfStorage", "F16", 2},
    {"torch.BFloat16Storage", "BF16", 2}, {"torch.DoubleStorage", "F64", 8},
    {"torch.LongStorage", "I64", 8},  {"torch.IntStorage", "I32", 4},
    {"torch.ShortStorage", "I16", 2}, {"torch.CharStorage", "I8", 1},
    {"torch.ByteStorage", "U8", 1},   {"torch.BoolStorage", "BOOL", 1},
};
const StorageType* storage_type(std::string_view global) {
  for (const StorageType& t : kStorageTypes)
    if (t.global == global) return &t;
  return nullptr;
}

// Callables a state dict's pickle may name. torch.storage._load_from_bytes is deliberately absent:
// it nests a whole legacy-format checkpoint inside the pickle (and torch.load runs it as one).
constexpr std::string_view kCallables[] = {
    "collections.OrderedDict",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter",
};

class Unpickler {
 public:
  Unpickler(std::string_view bytes, std::string where) : in_(bytes), where_(std::move(where)) {}

  // Runs the pickle to its STOP and returns the object it built.
  const Value& run() {
    while (true) {
      const size_t at = pos_;
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                          // PROTO
        case 0x95: take(8); break;                         // FRAME (a length hint)
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '.':                                          // STOP
          if (stack_.size() != 1) fail(at, "STOP with a stack that does not hold exactly one object");
          return *stack_.back();
        case 'N': push(Kind::none); break;
        case 0x88: push(Kind::boolean)->integer = 1; break;  // NEWTRUE
        case 0x89: push(Kind::boolean); break;               // NEWFALSE
        case 'K': push(Kind::integer)->integer = byte(); break;
        case 'M': push(Kind::integer)->integer = uint_le(2); break;
        case 'J': push(Kind::integer)->integer = static_cast<int32_t>(uint_le(4)); break;
        case 0x8a: {  // LONG1: little-endian two's complement of n bytes
          const size_t n = byte();
          if (n > 8) fail(at, "integer wider than 64 bits");
          uint64_t v = n ? uint_le(n) : 0;
          if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
          push(Kind::integer)->integer = static_cast<int64_t>(v);
          break;
        }
        case 'G': {  // BINFLOAT (big-endian), found in some metadata
          uint64_t bits = 0;
          for (char c : take(8)) bits = bits << 8 | static_cast<uint8_t>(c);
          push(Kind::real)->integer = static_cast<int64_t>(bits);
          break;
        }
        case 'X': push_string(take(uint_le(4))); break;      // BINUNICODE
        case 0x8c: push_string(take(byte())); break;         // SHORT_BINUNICODE
        case 0x8d: push_string(take(uint_le(8))); break;     // BINUNICODE8
        case '}': push(Kind::dict); break;                   // EMPTY_DICT
        case ')': push(Kind::tuple); break;                  // EMPTY_TUPLE
        case 't': push(Kind::tuple)->items = pop_mark(at); break;
        case 0x85: case 0x86: case 0x87: {                   // TUPLE1..3
          std::vector<Value*> items(op - 0x84);
          for (size_t i = items.size(); i-- > 0;) items[i] = pop(at);
          push(Kind::tuple)->items = std::move(items);
          break;
        }
        case 's': {  // SETITEM
          Value* v = pop(at);
          Value* k = pop(at);
          dict_on_top(at)->entries.emplace_back(k, v);
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<Value*> items = pop_mark(at);
          if (items.size() % 2) fail(at, "SETITEMS with an odd number of items");
          Value* dict = dict_on_top(at);
          for (size_t i = 0; i < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'c': {  // GLOBAL "module\nname\n"
          const std::string module(line(at));
          const std::string name(line(at));
          push_global(at, module + "." + name);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          Value* name = pop(at);
          Value* module = pop(at);
          if (name->kind != Kind::string || module->kind != Kind::string)
            fail(at, "STACK_GLOBAL without two strings");
          push_global(at, module->text + "." + name->text);
          break;
        }
        case 'R': {  // REDUCE
          Value* args = pop(at);
          Value* callable = pop(at);
          stack_.push_back(reduce(at, *callable, *args));
          break;
        }
        case 'b': {  // BUILD: only an OrderedDict's attributes (a state dict's _metadata) are
          pop(at);   // expected, and they do not change the tensors
          if (top(at)->kind != Kind::dict) fail(at, "BUILD on something other than a dict");
          break;
        }
        case 'Q': stack_.push_back(persistent_load(at, *pop(at))); break;  // BINPERSID
        case 'q': memo_[byte()] = top(at); break;                          // BINPUT
        case 'r': memo_[uint_le(4)] = top(at); break;                      // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(at); break;                   // MEMOIZE
        case 'h': stack_.push_back(memo_get(at, byte())); break;           // BINGET
        case 'j': stack_.push_back(memo_get(at, uint_le(4))); break;       // LONG_BINGET
        default:
          fail(at, fmt::format("pickle opcode 0x{:02x} ('{}') is outside what a state dict uses",
                               op, op >= 0x20 && op < 0x7f ? static_cast<char>(op) : '?'));
      }
    }
  }

 private:
  [[noreturn]] void fail(size_t at, const std::string& what) const {
    throw ModelError(fmt::format("{}: at byte {} of the pickle: {}; only state dicts of tensors "
                                 "saved with torch.save are read",
                                 where_, at, what));
  }
  uint8_t byte() {
    if (pos_ >= in_.size()) fail(pos_, "the pickle ends early");
    return static_cast<uint8_t>(in_[pos_++]);
  }
  std::string_view take(uint64_t n) {
    if (n > in_.size() - pos_) fail(pos_, "the pickle ends early");
    const std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  uint64_t uint_le(size_t n) {
    uint64_t v = 0;
    const std::string_view s = take(n);
    for (size_t i = n; i-- > 0;) v = v << 8 | static_cast<uint8_t>(s[i]);
    return v;
  }
  std::string_view line(size_t at) {
    const size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos) fail(at, "GLOBAL without its newline");
    const std::string_view s = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  Value* push(Kind kind) {
    arena_.push_back(std::make_unique<Value>());
    arena_.back()->kind = kind;
    stack_.push_back(arena_.back().get());
    return stack_.back();
  }
  void push_string(std::string_view s) { push(Kind::string)->text = s; }
  void push_global(size_t at, const std::string& name) {
    const bool allowed = storage_type(name) ||
                         std::find(std::begin(kCallables), std::end(kCallables), name) !=
                             std::end(kCallables);
    if (!allowed) fail(at, fmt::format("global {} is not allowed", name));
    push(Kind::global)->text = name;
  }
  Value* pop(size_t at) {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail(at, "stack underflow");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top(size_t at) {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail(at, "stack underflow");
    return stack_.back();
  }
  Value* dict_on_top(size_t at) {
    Value* dict = top(at);
    if (dict->kind != Kind::dict) fail(at, "SETITEM on something other than a dict");
    return dict;
  }
  std::vector<Value*> pop_mark(size_t at) {
    if (marks_.empty()) fail(at, "no MARK to pop to");
    std::vector<Value*> items(stack_.begin() + static_cast<ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  Value* memo_get(size_t at, uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail(at, fmt::format("memo entry {} was never stored", index));
    return it->second;
  }
  Value* make(Kind kind) {
    arena_.push_back(std::make_unique<Value>());
    arena_.back()->kind = kind;
    return arena_.back().get();
  }

  static bool is_int_tuple(const Value& v) {
    return v.kind == Kind::tuple && std::all_of(v.items.begin(), v.items.end(), [](const Value* i) {
             return i->kind == Kind::integer;
           });
  }
  static std::vector<int64_t> ints(const Value& tuple) {
    std::vector<int64_t> out;
    for (const Value* i : tuple.items) out.push_back(i->integer);
    return out;
  }

  Value* reduce(size_t at, const Value& callable, const Value& args) {
    if (callable.kind != Kind::global || args.kind != Kind::tuple)
      fail(at, "REDUCE without a callable and an argument tuple");
    const auto& a = args.items;
    if (callable.text == "collections.OrderedDict") {
      if (!a.empty()) fail(at, "OrderedDict called with arguments");
      return make(Kind::dict);
    }
    if (callable.text == "torch._utils._rebuild_tensor_v2") {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.size() < 6 || a.size() > 7 || a[0]->kind != Kind::storage ||
          a[1]->kind != Kind::integer || !is_int_tuple(*a[2]) || !is_int_tuple(*a[3]) ||
          a[2]->items.size() != a[3]->items.size())
        fail(at, "_rebuild_tensor_v2 with unexpected arguments");
      Value* t = make(Kind::tensor);
      t->tensor = {&a[0]->storage, a[1]->integer, ints(*a[2]), ints(*a[3])};
      return t;
    }
    if (callable.text == "torch._utils._rebuild_parameter") {
      // (data, requires_grad, backward_hooks): an nn.Parameter is its tensor here.
      if (a.size() != 3 || a[0]->kind != Kind::tensor)
        fail(at, "_rebuild_parameter with unexpected arguments");
      return a[0];
    }
    fail(at, fmt::format("{} cannot be called", callable.text));
  }

  // torch.save stores each storage as ('storage', <storage type>, key, location, numel).
  Value* persistent_load(size_t at, const Value& pid) {
    const auto& a = pid.items;
    if (pid.kind != Kind::tuple || a.size() != 5 || a[0]->kind != Kind::string ||
        a[0]->text != "storage" || a[1]->kind != Kind::global || a[2]->kind != Kind::string ||
        a[3]->kind != Kind::string || a[4]->kind != Kind::integer)
      fail(at, "a persistent id that is not a torch storage");
    const StorageType* type = storage_type(a[1]->text);
    if (!type) fail(at, fmt::format("{} is not a storage type", a[1]->text));
    if (a[4]->integer < 0) fail(at, "a storage of negative size");
    Value* s = make(Kind::storage);
    s->storage = {std::string(type->dtype), type->element, a[2]->text, a[4]->integer};
    return s;
  }

  std::string_view in_;
  std::string where_;
  size_t pos_ = 0;
  std::vector<std::unique_ptr<Value>> arena_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
};

// ---------------------------------------------------------------------------------------------

class TorchCheckpointSource final : public TensorSource {
 public:
  explicit TorchCheckpointSource(fs::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
      throw ModelError(fmt::format("{}: cannot open ({})", path_.string(), std::strerror(errno)));
    struct stat st {};
    if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw ModelError(fmt::format("{}: not a regular file", path_.string()));
    }
    file_size_ = static_cast<uint64_t>(st.st_size);
    try {
      index(read_zip(path_, fd_, file_size_));
    } catch (...) {
      ::close(fd_);
      throw;
    }
  }
  ~TorchCheckpointSource() override {
    if (map_) munmap(const_cast<std::byte*>(map_), file_size_);
    ::close(fd_);
  }
  TorchCheckpointSource(const TorchCheckpointSource&) = delete;
  TorchCheckpointSource& operator=(const TorchCheckpointSource&) = delete;

  const fs::path& path() const override { return path_; }
  const std::vector<TensorInfo>& tensors() const override { return tensors_; }
  const TensorInfo* find(std::string_view name) const override {
    const auto it = by_name_.find(std::string(name));
    return it == by_name_.end() ? nullptr : &tensors_[it->second];
  }
  const std::byte* mapped(const TensorInfo& tensor) const override {
    const Location& where = locate(tensor);
    std::call_once(map_once_, [&] {
      void* p = mmap(nullptr, file_size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (p != MAP_FAILED) map_ = static_cast<const std::byte*>(p);
    });
    // Weights are used in place only when aligned for their type (torch aligns entries to 64).
    if (!map_ || where.offset % where.element != 0) return nullptr;
    return map_ + where.offset;
  }
  void read(const TensorInfo& tensor, size_t first, size_t count, std::byte* out) const override {
    const Location& where = locate(tensor);
    if (first > where.numel || count > where.numel - first)
      throw ModelError(fmt::format("{}: read past the end of tensor {}", path_.string(), tensor.name));
    uint64_t offset = where.offset + first * where.element;
    size_t left = count * where.element;
    while (left > 0) {
      const ssize_t got = pread(fd_, out, left, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        throw ModelError(fmt::format("{}: cannot read tensor {} ({})", path_.string(), tensor.name,
                                     got < 0 ? std::strerror(errno) : "unexpected end of file"));
      out += got;
      offset += static_cast<uint64_t>(got);
      left -= static_cast<size_t>(got);
    }
  }

 private:
  struct Location {
    uint64_t offset = 0;  // of the tensor's first element in the file
    size_t element = 1;
    size_t numel = 0;
  };

  const Location& locate(const TensorInfo& tensor) const {
    if (&tensor >= tensors_.data() && &tensor < tensors_.data() + tensors_.size())
      return locations_[static_cast<size_t>(&tensor - tensors_.data())];
    const TensorInfo* own = find(tensor.name);
    if (!own) throw ModelError(fmt::format("{}: no tensor {}", path_.string(), tensor.name));
    return locations_[static_cast<size_t>(own - tensors_.data())];
  }

  void index(const ZipArchive& archive) {
    const std::string where = fmt::format("{} ({}/data.pkl)", path_.string(), archive.prefix);
    Unpickler unpickler(archive.pickle, where);
    const Value& root = unpickler.run();
    if (root.kind != Kind::dict)
      throw ModelError(fmt::format("{}: the pickle holds no dict; a state dict is expected", where));
    for (const auto& [key, value] : root.entries) {
      if (value->kind != Kind::tensor) continue;  // e.g. a version number beside the tensors
      if (key->kind != Kind::string)
        throw ModelError(fmt::format("{}: a tensor whose name is not a string", where));
      add_tensor(archive, key->text, value->tensor);
    }
    if (tensors_.empty())
      throw ModelError(fmt::format(
          "{}: the top-level dict holds no tensors (a training checkpoint? save the model's "
          "state_dict() instead)",
          where));
  }

  void add_tensor(const ZipArchive& archive, const std::string& name, const TensorRef& t) {
    const auto bad = [&](const std::string& what) {
      return ModelError(fmt::format("{}: tensor {}: {}", path_.string(), name, what));
    };
    const Storage& s = *t.storage;
    const auto entry = archive.entries.find(archive.prefix + "/data/" + s.key);
    if (entry == archive.entries.end())
      throw bad(fmt::format("its storage {}/data/{} is not in the archive", archive.prefix, s.key));
    if (!entry->second.stored)
      throw bad("its storage is compressed; torch.save never compresses, so re-save it with torch");
    uint64_t storage_bytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(s.numel), s.element, &storage_bytes) ||
        storage_bytes > entry->second.size)
      throw bad(fmt::format("its storage claims {} elements of {} bytes but the archive holds {} "
                            "bytes",
                            s.numel, s.element, entry->second.size));
    // A view: shape, strides and offset must stay inside the storage and be row-major contiguous
    // (dimensions of size 1 may have any stride, as torch itself allows).
    uint64_t numel = 1;
    int64_t expected_stride = 1;
    bool contiguous = true;
    for (size_t d = t.shape.size(); d-- > 0;) {
      if (t.shape[d] < 0) throw bad("a negative dimension");
      if (__builtin_mul_overflow(numel, static_cast<uint64_t>(t.shape[d]), &numel))
        throw bad("its shape overflows");
      if (t.shape[d] != 1 && t.stride[d] != expected_stride) contiguous = false;
      if (__builtin_mul_overflow(expected_stride, std::max<int64_t>(t.shape[d], 1), &expected_stride))
        throw bad("its shape overflows");
    }
    if (numel > 0 && !contiguous)
      throw bad(fmt::format("a non-contiguous view (shape [{}], strides [{}]) is not read; save "
                            "tensor.contiguous() instead",
                            fmt::join(t.shape, ", "), fmt::join(t.stride, ", ")));
    if (t.offset < 0 || static_cast<uint64_t>(t.offset) > static_cast<uint64_t>(s.numel) ||
        numel > static_cast<uint64_t>(s.numel) - static_cast<uint64_t>(t.offset))
      throw bad(fmt::format("offset {} + {} elements is outside its storage of {} elements",
                            t.offset, numel, s.numel));
    if (by_name_.count(name)) throw bad("it appears twice");
    by_name_[name] = tensors_.size();
    tensors_.push_back({name, s.dtype, t.shape});
    locations_.push_back({entry->second.data_offset + static_cast<uint64_t>(t.offset) * s.element,
                          s.element, static_cast<size_t>(numel)});
  }

  fs::path path_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  std::vector<TensorInfo> tensors_;
  std::vector<Location> locations_;
  std::unordered_map<std::string, size_t> by_name_;
  mutable const std::byte* map_ = nullptr;  // mapped lazily, on the first call to mapped()
  mutable std::once_flag map_once_;
};

}  // namespace

std::shared_ptr<const TensorSource> open_torch_checkpoint(const fs::path& path) {
  return std::make_shared<TorchCheckpointSource>(path);
}

void fuzz_torch_checkpoint(const uint8_t* data, size_t size) {
  const int fd = memfd_create("simscore-fuzz", MFD_CLOEXEC);
  if (fd < 0) return;
  size_t done = 0;
  while (done < size) {
    const ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  try {
    const auto source = open_torch_checkpoint(fmt::format("/proc/self/fd/{}", fd));
    std::vector<std::byte> buffer;
    for (const TensorInfo& t : source->tensors()) {
      size_t numel = 1;
      for (int64_t d : t.shape) numel *= static_cast<size_t>(d);
      const size_t bytes_per = t.dtype == "F32" || t.dtype == "I32" ? 4
                               : t.dtype == "F64" || t.dtype == "I64" ? 8
                               : t.dtype == "F16" || t.dtype == "BF16" || t.dtype == "I16" ? 2
                                                                                             : 1;
      buffer.resize(std::min<size_t>(numel, 1 << 16) * bytes_per);
      source->read(t, 0, std::min<size_t>(numel, 1 << 16), buffer.data());
      source->mapped(t);
    }
  } catch (const ModelError&) {
  }
  ::close(fd);
}

}  // namespace simscore::io
