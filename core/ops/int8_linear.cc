#include "core/ops/int8_linear.h"

#include <algorithm>
#include <cmath>
#include <dnnl.hpp>
#include <fmt/format.h>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "core/errors.h"
#include "core/ops/gemm.h"
#include "core/ops/int8_rows.h"
#include "core/ops/onednn_prepack.h"
#include "core/ops/onednn_scratchpad.h"

namespace simscore {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

const dnnl::engine& cpu_engine() { return onednn_cpu_engine(); }

constexpr size_t aligned(size_t bytes) { return (bytes + 63) / 64 * 64; }

// How many s32 sums one kernel call writes before the epilogue reads them back: the rows of a call
// are chosen so its sums fit in about 1 MiB, a core's L2 (or a share of L3). Measured on an AMD EPYC
// with AVX512-VNNI, 1 thread, bert-base shapes at 2,048 rows: whole product 0.85-0.89x the kernel
// alone with 1 MiB blocks, 0.83-0.86x with 256 KiB, 0.74-0.80x unblocked.
constexpr int kBlockSumBytes = 1 << 20;

// limit / max|v| and the scale max|v| / limit that undoes it; (0, 0) for an all-zero v, (0, NaN)
// when v holds an infinity or a NaN.
std::pair<float, float> symmetric_scale(const float* v, int n, int limit) {
  float largest = 0.0f, poison = 0.0f;
  for (int i = 0; i < n; ++i) {
    largest = std::max(largest, std::fabs(v[i]));
    poison += v[i] * 0.0f;  // NaN once any v[i] is not finite
  }
  if (poison != 0.0f || std::isnan(poison)) return {0.0f, std::numeric_limits<float>::quiet_NaN()};
  if (largest == 0.0f) return {0.0f, 0.0f};
  return {static_cast<float>(limit) / largest, largest / static_cast<float>(limit)};
}

bool onednn_has_vnni() {
  using dnnl::cpu_isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case cpu_isa::avx512_core_vnni:
    case cpu_isa::avx512_core_bf16:
    case cpu_isa::avx512_core_amx:
      return true;
    default:  // avx2_vnni too: oneDNN 2.6's int8 matmul on it is not known to use VNNI
      return false;
  }
}

}  // namespace

int int8_weight_limit() {
  static const int limit = onednn_has_vnni() ? 127 : 63;
  return limit;
}

std::string int8_kernel_isa() {
  return onednn_has_vnni() ? "VNNI: 8-bit weights"
                           : "no VNNI (AVX2 vpmaddubsw sums in 16 bits): weights limited to 7 bits";
}

Int8Matrix quantize_matrix_rows(const float* w, int rows, int cols, int limit, int first_row) {
  Int8Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.values.resize(static_cast<size_t>(rows) * cols);
  m.scales.resize(static_cast<size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    const float* row = w + static_cast<size_t>(r) * cols;
    const auto [inverse, scale] = symmetric_scale(row, cols, limit);
    if (std::isnan(scale))
      throw ModelError(fmt::format("int8: row {} of a {}x{} weight block is not finite", first_row + r, rows, cols));
    m.scales[static_cast<size_t>(r)] = scale;
    int8_t* q = m.values.data() + static_cast<size_t>(r) * cols;
    for (int c = 0; c < cols; ++c) q[c] = static_cast<int8_t>(std::nearbyint(row[c] * inverse));
  }
  return m;
}

Int8Matrix quantize_weight_rows(const BlockSpec& spec, int limit) {
  std::vector<float> block(static_cast<size_t>(spec.outputs) * spec.inputs);
  widen_block(*spec.layer, spec.first_out, spec.outputs, spec.first_in, spec.inputs, block.data());
  return quantize_matrix_rows(block.data(), spec.outputs, spec.inputs, limit, spec.first_out);
}

struct Int8Linear::Impl {
  Int8Source source = Int8Source::u8_shifted;
  int k = 0, n = 0, ldy = 0;
  memory::desc weights_desc;
  memory weights;                    // the s8 matrix in oneDNN's layout, [k, n]
  std::vector<float> column_scales;  // per output feature
  std::vector<int32_t> shift_sums;   // 128 * sum_k W[n, k] for u8 sources, else zeros
  std::string kernel;
  bool in_place = false;             // `weights` reads the stored int8 matrix (Linear::int8)
  mutable std::mutex mutex;
  struct Product {
    dnnl::matmul primitive;
    memory::desc scratchpad;
  };
  mutable std::unordered_map<int, Product> by_rows;

  memory::data_type source_type() const {
    return source == Int8Source::s8 ? memory::data_type::s8 : memory::data_type::u8;
  }
  dnnl::matmul::primitive_desc describe(int rows, const memory::desc& weights_layout) const {
    return describe_matmul(rows, k, n, source_type(), weights_layout);
  }
  static dnnl::matmul::primitive_desc describe_matmul(int rows, int k, int n, memory::data_type source,
                                                      const memory::desc& weights_layout) {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return dnnl::matmul::primitive_desc(
        dnnl::matmul::desc(memory::desc({rows, k}, source, Tag::ab), weights_layout,
                           memory::desc({rows, n}, memory::data_type::s32, Tag::ab)),
        attr, cpu_engine());
  }
  // The layout oneDNN's kernel for a typical batch reads; every row count then reads the same one.
  static constexpr int kTypicalRows = 256;
  static memory::desc weights_layout(int k, int n, memory::data_type source) {
    return describe_matmul(kTypicalRows, k, n, source, memory::desc({k, n}, memory::data_type::s8, Tag::any))
        .weights_desc();
  }
  // W as stored, [out, in] row-major: oneDNN's [k, n] in "ba"; a block of its columns (the FFN
  // output's, one per FFN block) keeps the whole row's stride `ldw`.
  static memory::desc stored_layout(int k, int n) { return memory::desc({k, n}, memory::data_type::s8, Tag::ba); }
  static memory::desc stored_layout(int k, int n, int ldw) {
    return ldw == k ? stored_layout(k, n) : memory::desc({k, n}, memory::data_type::s8, memory::dims{1, ldw});
  }
  // Whether oneDNN runs the same kernel on W as stored as on the layout it would choose, so stored
  // int8 weights are read in place, never copied. On AVX2 (gemm:jit, which packs its operands as it
  // goes) it does, and ran as fast or faster (u8 x s8, 2,048 rows, 2 threads: 64-94 GOP/s stored
  // against 58-78 in its own layout); brgemm kernels (VNNI, AMX) want their blocked layout.
  static bool reads_stored_layout(int k, int n, memory::data_type source) {
    const auto chosen = describe_matmul(kTypicalRows, k, n, source, memory::desc({k, n}, memory::data_type::s8, Tag::any));
    if (chosen.weights_desc() == stored_layout(k, n)) return true;
    try {
      return describe_matmul(kTypicalRows, k, n, source, stored_layout(k, n)).impl_info_str() ==
             std::string(chosen.impl_info_str());
    } catch (const dnnl::error&) {  // no kernel takes that layout
      return false;
    }
  }
  Product product(int rows) const {
    std::lock_guard lock(mutex);
    auto found = by_rows.find(rows);
    if (found == by_rows.end()) {
      if (by_rows.size() >= 256) by_rows.clear();  // batches come in many sizes; stay bounded
      const auto pd = describe(rows, weights_desc);
      found = by_rows.emplace(rows, Product{dnnl::matmul(pd), pd.scratchpad_desc()}).first;
    }
    return found->second;
  }
};

Int8Linear::Int8Linear(const BlockSpec& spec, Int8Source source) : impl_(std::make_unique<Impl>()), spec_(spec) {
  const Linear& layer = *spec.layer;
  if (spec.first_out < 0 || spec.outputs <= 0 || spec.first_out + spec.outputs > layer.out_features() ||
      spec.first_in < 0 || spec.inputs <= 0 || spec.first_in + spec.inputs > layer.in_features())
    throw ModelError(fmt::format("Int8Linear: rows {}+{}, columns {}+{} outside a {}x{} matrix", spec.first_out,
                                 spec.outputs, spec.first_in, spec.inputs, layer.out_features(),
                                 layer.in_features()));
  if (spec.output != DType::f32) throw ModelError("Int8Linear: the output must be fp32");
  Impl& p = *impl_;
  p.source = source;
  p.k = spec.inputs;
  p.n = spec.outputs;
  p.ldy = spec.ldy ? spec.ldy : spec.outputs;
  // Held as int8 (Linear::int8: quantized as it loaded, or converted): its rows and scales as they
  // are, the block's columns read with the whole row's stride (a row's scale is the whole row's, so
  // the FFN output's column blocks sum to the whole product); else quantized here from the stored
  // fp32/fp16/bf16 block.
  Int8Matrix quantized;
  const int8_t* values = nullptr;
  const float* scales = nullptr;
  size_t ldw = static_cast<size_t>(p.k);  // elements between rows of `values`
  if (layer.int8) {
    if (layer.int8->limit > int8_weight_limit())
      throw ModelError(fmt::format("Int8Linear: stored int8 weights of magnitude up to {} (this CPU's kernels "
                                   "take {})", layer.int8->limit, int8_weight_limit()));
    ldw = static_cast<size_t>(layer.in_features());
    values = layer.int8->values + static_cast<size_t>(spec.first_out) * ldw + spec.first_in;
    scales = layer.int8->scales + spec.first_out;
  } else {
    quantized = quantize_weight_rows(spec);
    values = quantized.values.data();
    scales = quantized.scales.data();
  }
  p.column_scales.assign(scales, scales + p.n);
  p.shift_sums.assign(static_cast<size_t>(p.n), 0);
  if (source == Int8Source::u8_shifted)
    for (int r = 0; r < p.n; ++r) {
      int32_t sum = 0;
      for (int c = 0; c < p.k; ++c) sum += values[static_cast<size_t>(r) * ldw + c];
      p.shift_sums[static_cast<size_t>(r)] = 128 * sum;
    }
  if (layer.int8 && Impl::reads_stored_layout(p.k, p.n, p.source_type())) {
    p.in_place = true;
    p.weights_desc = Impl::stored_layout(p.k, p.n, static_cast<int>(ldw));
    p.kernel = p.describe(Impl::kTypicalRows, p.weights_desc).impl_info_str();
    p.weights = memory(p.weights_desc, cpu_engine(), const_cast<int8_t*>(values));
    return;
  }
  std::vector<int8_t> block;  // a column block made dense for the reorder into oneDNN's layout
  if (ldw != static_cast<size_t>(p.k)) {
    block.resize(static_cast<size_t>(p.n) * p.k);
    for (int r = 0; r < p.n; ++r)
      std::copy_n(values + static_cast<size_t>(r) * ldw, p.k, block.data() + static_cast<size_t>(r) * p.k);
    values = block.data();
  }
  const auto pd = p.describe(Impl::kTypicalRows, memory::desc({p.k, p.n}, memory::data_type::s8, Tag::any));
  p.weights_desc = pd.weights_desc();
  p.kernel = pd.impl_info_str();
  p.weights = prepack_weights(values, memory::data_type::s8, p.k, p.n, p.weights_desc);
}

Int8Linear::~Int8Linear() = default;
Int8Linear::Int8Linear(Int8Linear&&) noexcept = default;
Int8Linear& Int8Linear::operator=(Int8Linear&&) noexcept = default;

size_t Int8Linear::bytes() const {
  return (impl_->in_place ? 0 : impl_->weights_desc.get_size()) +
         impl_->column_scales.size() * (sizeof(float) + sizeof(int32_t));
}

int Int8Linear::block_rows(int outputs) { return std::max(32, kBlockSumBytes / (4 * outputs) / 32 * 32); }

// The quantized rows, then their scales, then one block's s32 sums, each on a cache line of its
// own: at most rows * (inputs + 4) + 2 * 63 + 4 * block_rows * outputs bytes, which the fixed part
// and the per-row floats cover (the plan sizes the arena from the same two terms).
size_t Int8Linear::scratch_bytes(size_t rows, size_t inputs, size_t outputs) {
  return sizeof(float) * (fixed_floats(static_cast<int>(outputs)) + rows * per_row_floats(inputs));
}

ProductCost Int8Linear::cost(const BlockSpec& spec) {
  const memory::desc layout = Impl::weights_layout(spec.inputs, spec.outputs, memory::data_type::u8);
  const bool in_place = Impl::reads_stored_layout(spec.inputs, spec.outputs, memory::data_type::u8);
  const auto n = static_cast<size_t>(spec.outputs);
  return {.packed_bytes = (in_place ? 0 : layout.get_size()) + n * (sizeof(float) + sizeof(int32_t)),
          .scratch_floats = fixed_floats(spec.outputs),
          .scratch_floats_per_row = per_row_floats(static_cast<size_t>(spec.inputs))};
}

std::string Int8Linear::kernel_name() const { return impl_->kernel; }

void Int8Linear::operator()(const void* input, int rows, void* output, float* scratch) const {
  if (rows <= 0) return;
  const auto* x = static_cast<const float*>(input);
  auto* y = static_cast<float*>(output);
  const Impl& p = *impl_;
  const auto r = static_cast<size_t>(rows);
  auto* q = reinterpret_cast<uint8_t*>(scratch);
  auto* row_scales = reinterpret_cast<float*>(q + aligned(r * p.k));
  auto* sums = reinterpret_cast<int32_t*>(reinterpret_cast<char*>(row_scales) + aligned(r * sizeof(float)));
  const Int8Epilogue epilogue{.shift_sums = p.shift_sums.data(),
                              .column_scales = p.column_scales.data(),
                              .bias = spec_.bias ? spec_.layer->bias.data() + spec_.first_out : nullptr,
                              .accumulate = spec_.accumulate,
                              .activation = spec_.activation};
  const int shift = p.source == Int8Source::u8_shifted ? 128 : 0;
  dnnl::stream stream(cpu_engine());
  // The whole batch is quantized in one parallel pass (every pass ends in a barrier, which costs a
  // time slice where threads outnumber free cores), then the kernel runs a block of rows at a time:
  // the epilogue reads the block's s32 sums back while they are still in cache, instead of the whole
  // batch's sums going out to memory and back. The sums are exact integers, so a row's result does
  // not depend on the block it ran in.
  quantize_rows(x, rows, p.k, shift, q, row_scales);
  const int block = block_rows(p.n);
  const bool in_place = !spec_.accumulate && p.ldy == p.n;
  for (int first = 0; first < rows; first += block) {
    const int count = std::min(block, rows - first);
    uint8_t* block_q = q + static_cast<size_t>(first) * p.k;
    const Impl::Product product = p.product(count);
    memory src(memory::desc({count, p.k}, p.source_type(), Tag::ab), cpu_engine(), block_q);
    // Without a running sum to add, into dense rows of y (the kernel's s32 output is dense), the
    // kernel writes its sums where the block's outputs go and the epilogue turns them into fp32 in
    // place: one buffer in cache, not two.
    float* block_y = y + static_cast<size_t>(first) * p.ldy;
    int32_t* block_sums = in_place ? reinterpret_cast<int32_t*>(block_y) : sums;
    memory dst(memory::desc({count, p.n}, memory::data_type::s32, Tag::ab), cpu_engine(), block_sums);
    memory scratchpad(product.scratchpad, cpu_engine(), onednn_scratchpad(product.scratchpad.get_size()));
    product.primitive.execute(stream, {{DNNL_ARG_SRC, src},
                                       {DNNL_ARG_WEIGHTS, p.weights},
                                       {DNNL_ARG_DST, dst},
                                       {DNNL_ARG_SCRATCHPAD, scratchpad}});
    stream.wait();
    dequantize_rows(block_sums, p.n, row_scales + first, count, p.n, epilogue, block_y, p.ldy);
  }
}

}  // namespace simscore
