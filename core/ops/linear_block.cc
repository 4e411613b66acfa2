#include "core/ops/linear_block.h"

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dnnl.hpp>
#include <fmt/format.h>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "core/errors.h"
#include "core/ops/convert.h"
#include "core/ops/gemm.h"
#include "core/ops/onednn_prepack.h"
#include "core/ops/onednn_scratchpad.h"

namespace simscore {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

const dnnl::engine& cpu_engine() { return onednn_cpu_engine(); }

memory::data_type dnnl_type(DType d) {
  switch (d) {
    case DType::f32: return memory::data_type::f32;
    case DType::f16: return memory::data_type::f16;
    case DType::bf16: return memory::data_type::bf16;
  }
  return memory::data_type::f32;
}

dnnl::algorithm eltwise_of(Activation a) {
  switch (a) {
    case Activation::gelu_erf: return dnnl::algorithm::eltwise_gelu_erf;
    case Activation::gelu_tanh: return dnnl::algorithm::eltwise_gelu_tanh;
    case Activation::relu: return dnnl::algorithm::eltwise_relu;
  }
  return dnnl::algorithm::eltwise_gelu_erf;
}

bool cpu_has(unsigned leaf, unsigned subleaf, int reg, unsigned bit) {
  unsigned r[4] = {0, 0, 0, 0};
  if (!__get_cpuid_count(leaf, subleaf, &r[0], &r[1], &r[2], &r[3])) return false;
  return (r[reg] >> bit) & 1u;
}

Bf16Support detect_bf16() {
  Bf16Support s;
  constexpr int eax = 0, edx = 3;
  const bool amx = cpu_has(7, 0, edx, 24) && cpu_has(7, 0, edx, 22);  // AMX-TILE, AMX-BF16
  const bool avx512_bf16 = cpu_has(7, 1, eax, 5);
  bool amx_permitted = false;
  if (amx) {
    // Linux hands out the 8 KiB AMX tile state only on request (ARCH_REQ_XCOMP_PERM for
    // XFEATURE_XTILEDATA); without it the first tile instruction kills the process.
    constexpr long kArchReqXcompPerm = 0x1023;
    constexpr long kXfeatureXtiledata = 18;
    amx_permitted = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }
  // $ONEDNN_MAX_CPU_ISA caps oneDNN's kernels (tests run each class below the host's that way):
  // bf16 products only where the cap leaves oneDNN its bf16 kernels.
  const dnnl::cpu_isa effective = dnnl::get_effective_cpu_isa();
  const bool capped = effective != dnnl::cpu_isa::avx512_core_amx && effective != dnnl::cpu_isa::avx512_core_bf16;
  if (capped && (amx || avx512_bf16)) {
    s.description = "none (ONEDNN_MAX_CPU_ISA caps oneDNN below AVX512-BF16)";
    return s;
  }
  s.amx = amx && amx_permitted && effective == dnnl::cpu_isa::avx512_core_amx;
  s.available = s.amx || avx512_bf16;
  if (s.amx)
    s.description = "AMX-BF16";
  else if (amx)
    s.description = avx512_bf16 ? "AVX512-BF16 (the kernel refused AMX tile state)"
                                : "none (the kernel refused AMX tile state)";
  else if (avx512_bf16)
    s.description = "AVX512-BF16 (no AMX on this CPU)";
  else
    s.description = "none (no AMX or AVX512-BF16 on this CPU)";
  return s;
}

}  // namespace

const Bf16Support& bf16_support() {
  static const Bf16Support support = detect_bf16();
  return support;
}

struct LinearBlock::Impl {
  WeightLayout layout = WeightLayout::prepacked;
  memory::data_type input = memory::data_type::f32, output = memory::data_type::f32;
  memory::desc weights_desc;  // prepacked: the blocked layout; streamed: the scratch, [k, n] as "ba"
  memory weights;             // prepacked: the copy
  memory::desc bias_desc;     // empty without a bias
  memory bias;
  dnnl::primitive_attr attr;
  std::string kernel;
  int k = 0, n = 0, ldy = 0;
  // Non-brgemm kernels (gemm:jit on AVX2) round a row differently with the row count and the row's
  // place in the product: such blocks run in chunks of kRowChunk rows through one primitive.
  bool row_chunks = false;
  size_t weight_floats = 0, pad_input_floats = 0, pad_output_floats = 0;  // parts of the scratch
  mutable std::mutex mutex;
  // One primitive per row count, and the scratchpad it needs.
  struct Product {
    dnnl::matmul primitive;
    memory::desc scratchpad;
  };
  mutable std::unordered_map<int, Product> by_rows;

  memory::desc source(int rows) const { return memory::desc({rows, k}, input, Tag::ab); }
  memory::desc destination(int rows) const { return memory::desc({rows, n}, output, memory::dims{ldy, 1}); }
  size_t scratch_floats() const { return weight_floats + pad_input_floats + pad_output_floats; }

  dnnl::matmul::primitive_desc describe(int rows, const memory::desc& weights_layout) const {
    return dnnl::matmul::primitive_desc(
        dnnl::matmul::desc(source(rows), weights_layout, bias_desc, destination(rows)), attr, cpu_engine());
  }

  Product product(int rows) const {
    std::lock_guard lock(mutex);
    auto found = by_rows.find(rows);
    if (found == by_rows.end()) {
      // Batches come in many sizes; keep the cache bounded (oneDNN keeps its own cache too).
      if (by_rows.size() >= 256) by_rows.clear();
      const auto pd = describe(rows, weights_desc);
      found = by_rows.emplace(rows, Product{dnnl::matmul(pd), pd.scratchpad_desc()}).first;
    }
    return found->second;
  }
};

// Everything about a block that does not need its weights: types, epilogue, and the weights'
// layout (for prepacked weights, the blocked layout oneDNN chooses for the typical batch).
void LinearBlock::describe(Impl& p, const BlockSpec& spec, ComputePrecision precision, WeightLayout layout) {
  if (layout == WeightLayout::streamed && precision != ComputePrecision::f32)
    throw ModelError("LinearBlock: streamed weights are widened to fp32; bf16 products need prepacking");
  p.layout = layout;
  p.k = spec.inputs;
  p.n = spec.outputs;
  p.ldy = spec.ldy ? spec.ldy : spec.outputs;
  p.input = dnnl_type(precision == ComputePrecision::bf16 ? DType::bf16 : DType::f32);
  p.output = dnnl_type(spec.output);
  if (spec.bias) p.bias_desc = memory::desc({1, p.n}, memory::data_type::f32, Tag::ab);
  dnnl::post_ops ops;
  if (spec.accumulate) ops.append_sum(1.0f);
  if (spec.activation) ops.append_eltwise(1.0f, eltwise_of(*spec.activation), 0.0f, 0.0f);
  p.attr.set_post_ops(ops);
  // Left to the library, every primitive keeps a scratchpad of its own (packing room for plain
  // weights: 257 KiB for a bert-base block), and there is one per block and row count: 140 MiB
  // after 300 pairs. One buffer per calling thread serves them all.
  p.attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);

  // The kernel for a typical batch; prepacked, every other row count reads the same layout.
  constexpr int kTypicalRows = 256;
  const memory::desc plain({p.k, p.n}, memory::data_type::f32, Tag::ba);  // W's block, [n, k] rows
  if (layout == WeightLayout::streamed) {
    p.weights_desc = plain;
    p.kernel = p.describe(kTypicalRows, plain).impl_info_str();
  } else {
    const dnnl::matmul::primitive_desc pd = p.describe(kTypicalRows, memory::desc({p.k, p.n}, p.input, Tag::any));
    p.weights_desc = pd.weights_desc();
    p.kernel = pd.impl_info_str();
  }
  // oneDNN's fp32 brgemm kernels give a row the same bits in any product; the others (gemm:jit,
  // what an AVX2-only CPU gets) handle the tail of the row dimension differently, so a row's bits
  // would depend on the rows beside it. Those run every product in chunks of exactly kRowChunk
  // rows, the last padded in the scratch (after the widened weights), each chunk on one thread.
  // bf16 products do too: on AMX at 2 threads their rows changed with the batch (the issue's
  // measurement). oneDNN 2.6.3's brgemm matmul chooses its blocking from M and the thread count
  // (brgemm_matmul_utils.cpp: M_blk is the largest divisor of M in 32..64, smaller m_blk when work
  // is short for the threads; a K split only for AMX bf16 at 16 threads and up). One 64-row,
  // one-thread primitive for every row fixes all of those, whatever the batch or thread count.
  p.row_chunks = p.kernel.rfind("brg", 0) != 0 || precision == ComputePrecision::bf16;
  auto whole_lines = [](size_t bytes) { return (bytes + 63) / 64 * 16; };  // floats, in 64-byte lines
  p.weight_floats = layout == WeightLayout::streamed ? static_cast<size_t>(p.n) * static_cast<size_t>(p.k) : 0;
  if (p.row_chunks) {
    p.pad_input_floats = whole_lines(size_t{kRowChunk} * p.k * memory::data_type_size(p.input));
    p.pad_output_floats = whole_lines(size_t{kRowChunk} * p.ldy * memory::data_type_size(p.output));
  }
}

ProductCost LinearBlock::cost(const BlockSpec& spec, ComputePrecision precision, WeightLayout layout) {
  Impl p;
  describe(p, spec, precision, layout);
  return {layout == WeightLayout::prepacked ? p.weights_desc.get_size() : 0, p.scratch_floats()};
}

LinearBlock::LinearBlock(const BlockSpec& spec, ComputePrecision precision, WeightLayout layout)
    : impl_(std::make_unique<Impl>()), spec_(spec), precision_(precision) {
  const Linear& layer = *spec.layer;
  if (spec.first_out < 0 || spec.outputs <= 0 || spec.first_out + spec.outputs > layer.out_features() ||
      spec.first_in < 0 || spec.inputs <= 0 || spec.first_in + spec.inputs > layer.in_features())
    throw ModelError(fmt::format("LinearBlock: rows {}+{}, columns {}+{} outside a {}x{} matrix",
                                 spec.first_out, spec.outputs, spec.first_in, spec.inputs,
                                 layer.out_features(), layer.in_features()));
  Impl& p = *impl_;
  describe(p, spec, precision, layout);
  if (spec.bias)
    p.bias = memory(p.bias_desc, cpu_engine(), const_cast<float*>(layer.bias.data()) + spec.first_out);
  if (layout == WeightLayout::streamed) return;
  std::vector<float> block(static_cast<size_t>(p.n) * p.k);
  widen_block(layer, spec.first_out, p.n, spec.first_in, p.k, block.data());
  p.weights = prepack_weights(block.data(), memory::data_type::f32, p.k, p.n, p.weights_desc);
}

LinearBlock::~LinearBlock() = default;
LinearBlock::LinearBlock(LinearBlock&&) noexcept = default;
LinearBlock& LinearBlock::operator=(LinearBlock&&) noexcept = default;

size_t LinearBlock::bytes() const {
  return impl_->layout == WeightLayout::prepacked ? impl_->weights_desc.get_size() : 0;
}

size_t LinearBlock::scratch_floats() const { return impl_->scratch_floats(); }

std::string LinearBlock::kernel_name() const { return impl_->kernel; }

void LinearBlock::operator()(const void* x, int rows, void* y, float* scratch) const {
  if (rows == 0) return;
  const Impl& p = *impl_;
  memory weights = p.weights;
  if (p.layout == WeightLayout::streamed) {
    widen_block(*spec_.layer, spec_.first_out, p.n, spec_.first_in, p.k, scratch);
    weights = memory(p.weights_desc, cpu_engine(), scratch);
  }
  auto execute = [&](const Impl::Product& product, int count, const void* source, void* destination) {
    memory src(p.source(count), cpu_engine(), const_cast<void*>(source));
    memory dst(p.destination(count), cpu_engine(), destination);
    memory scratchpad(product.scratchpad, cpu_engine(), onednn_scratchpad(product.scratchpad.get_size()));
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src},
                                            {DNNL_ARG_WEIGHTS, weights},
                                            {DNNL_ARG_DST, dst},
                                            {DNNL_ARG_SCRATCHPAD, scratchpad}};
    if (spec_.bias) args.emplace(DNNL_ARG_BIAS, p.bias);
    dnnl::stream stream(cpu_engine());
    product.primitive.execute(stream, args);
    stream.wait();
  };
  if (!p.row_chunks) {
    execute(p.product(rows), rows, x, y);
    return;
  }
  const size_t in_row = static_cast<size_t>(p.k) * memory::data_type_size(p.input);
  const size_t out_row = static_cast<size_t>(p.ldy) * memory::data_type_size(p.output);
  const size_t out_used = static_cast<size_t>(p.n) * memory::data_type_size(p.output);
  const Impl::Product chunk = p.product(kRowChunk);
  const auto* in = static_cast<const char*>(x);
  auto* out = static_cast<char*>(y);
  // The chunks run side by side, each on one thread (inside a parallel region oneDNN runs a
  // primitive on the calling thread alone, and a chunk's bits do not depend on its thread count):
  // one fork and join per product, not one per chunk.
  const int chunks = (rows + kRowChunk - 1) / kRowChunk;
#pragma omp parallel for schedule(dynamic)
  for (int c = 0; c < chunks; ++c) {
    const int first = c * kRowChunk;
    const int count = std::min(kRowChunk, rows - first);
    if (count == kRowChunk) {
      execute(chunk, kRowChunk, in + first * in_row, out + first * out_row);
      continue;
    }
    // The last rows, padded with zeros to a whole chunk (with a running sum, y's rows come along).
    auto* pad_in = reinterpret_cast<char*>(scratch + p.weight_floats);
    auto* pad_out = reinterpret_cast<char*>(scratch + p.weight_floats + p.pad_input_floats);
    std::memcpy(pad_in, in + first * in_row, count * in_row);
    std::memset(pad_in + count * in_row, 0, (kRowChunk - count) * in_row);
    if (spec_.accumulate)
      for (int r = 0; r < count; ++r) std::memcpy(pad_out + r * out_row, out + (first + r) * out_row, out_used);
    execute(chunk, kRowChunk, pad_in, pad_out);
    for (int r = 0; r < count; ++r) std::memcpy(out + (first + r) * out_row, pad_out + r * out_row, out_used);
  }
}

bool LinearBlock::row_chunks() const { return impl_->row_chunks; }

std::vector<LinearBlock> matrix_product(const Linear& layer, ComputePrecision precision, WeightLayout layout,
                                        int ldy, std::optional<Activation> activation) {
  const int out = layer.out_features(), in = layer.in_features();
  const int block = layout == WeightLayout::streamed ? widen_block_rows(in, out) : out;
  std::vector<LinearBlock> blocks;
  for (int first = 0; first < out; first += block) {
    BlockSpec spec{.layer = &layer, .first_out = first, .outputs = std::min(block, out - first),
                   .first_in = 0, .inputs = in, .activation = activation, .ldy = ldy ? ldy : out};
    blocks.emplace_back(spec, precision, layout);
  }
  return blocks;
}

void run_blocks(const std::vector<LinearBlock>& blocks, const void* x, int rows, void* y, float* scratch) {
  // Blocks of output features: each writes its own columns of y.
  int column = 0;
  for (const LinearBlock& b : blocks) {
    b(x, rows, static_cast<float*>(y) + column, scratch);
    column += b.outputs();
  }
}

void convert_rows_to_bf16(const float* src, size_t rows, size_t cols, void* dst) {
  auto* out = static_cast<uint16_t*>(dst);
  const auto n = static_cast<long>(rows);
#pragma omp parallel for schedule(static)
  for (long r = 0; r < n; ++r)
    convert_from_f32(src + r * cols, DType::bf16, out + r * cols, cols);
}

}  // namespace simscore
