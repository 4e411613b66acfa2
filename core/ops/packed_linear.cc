#include "core/ops/packed_linear.h"

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dnnl.hpp>
#include <fmt/format.h>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/errors.h"
#include "core/ops/convert.h"
#include "core/ops/gemm.h"

namespace simscore {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

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
  s.amx = amx && amx_permitted;
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

ComputePrecision compute_precision_for(DType storage) {
  if (storage == DType::bf16 && gemm_backend() == GemmBackend::onednn && bf16_support().available)
    return ComputePrecision::bf16;
  return ComputePrecision::f32;
}

struct PackedLinear::Impl {
  memory::desc packed;
  memory weights;
  memory bias;
  std::vector<float> bias_values;
  dnnl::primitive_attr attr;
  std::string kernel;
  mutable std::mutex mutex;
  mutable std::unordered_map<int, dnnl::matmul> by_rows;  // one primitive per row count

  memory::desc source(int rows, memory::data_type type) const {
    return memory::desc({rows, packed.dims()[0]}, type, Tag::ab);
  }
};

PackedLinear::PackedLinear(std::span<const Linear* const> layers, ComputePrecision precision,
                           std::optional<Activation> activation, DType output)
    : impl_(std::make_unique<Impl>()), precision_(precision), output_(output) {
  in_ = layers.front()->in_features();
  for (const Linear* l : layers) {
    if (l->in_features() != in_) throw ModelError("PackedLinear: layers differ in in_features");
    out_ += l->out_features();
  }
  // W^T of the stacked layers as fp32 [out, in] rows: oneDNN reads it as [in, out] in "ba" order.
  std::vector<float> stacked(static_cast<size_t>(out_) * in_);
  Impl& p = *impl_;
  p.bias_values.reserve(static_cast<size_t>(out_));
  size_t at = 0;
  for (const Linear* l : layers) {
    const size_t n = static_cast<size_t>(l->weight.elements());
    convert_to_f32(l->weight.data, l->weight.dtype, stacked.data() + at, n);
    at += n;
    p.bias_values.insert(p.bias_values.end(), l->bias.begin(), l->bias.end());
  }
  if (activation) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, eltwise_of(*activation), 0.0f, 0.0f);
    p.attr.set_post_ops(ops);
  }

  const auto type = dnnl_type(input_dtype());
  const memory::dims wdims = {in_, out_};
  // The layout the kernel wants for a typical batch; every other row count reuses it (checked in
  // the per-rows primitive below).
  constexpr int kTypicalRows = 256;
  const memory::desc src = memory::desc({kTypicalRows, in_}, type, Tag::ab);
  const memory::desc dst = memory::desc({kTypicalRows, out_}, dnnl_type(output_), Tag::ab);
  const memory::desc bias_desc({1, out_}, memory::data_type::f32, Tag::ab);
  const dnnl::matmul::primitive_desc pd(
      dnnl::matmul::desc(src, memory::desc(wdims, type, Tag::any), bias_desc, dst), p.attr,
      cpu_engine());
  p.packed = pd.weights_desc();
  p.kernel = pd.impl_info_str();
  p.weights = memory(p.packed, cpu_engine());
  p.bias = memory(bias_desc, cpu_engine(), p.bias_values.data());

  memory plain({wdims, memory::data_type::f32, Tag::ba}, cpu_engine(), stacked.data());
  dnnl::stream stream(cpu_engine());
  dnnl::reorder(plain, p.weights).execute(stream, plain, p.weights);
  stream.wait();
}

PackedLinear::~PackedLinear() = default;
PackedLinear::PackedLinear(PackedLinear&&) noexcept = default;
PackedLinear& PackedLinear::operator=(PackedLinear&&) noexcept = default;

size_t PackedLinear::bytes() const { return impl_->packed.get_size(); }

std::string PackedLinear::kernel_name() const { return impl_->kernel; }

void PackedLinear::operator()(const void* x, int rows, void* y) const {
  if (rows == 0) return;
  Impl& p = *impl_;
  const auto in_type = dnnl_type(input_dtype());
  const memory::desc src({rows, in_}, in_type, Tag::ab);
  const memory::desc dst({rows, out_}, dnnl_type(output_), Tag::ab);
  dnnl::matmul product;
  {
    std::lock_guard lock(p.mutex);
    auto found = p.by_rows.find(rows);
    if (found == p.by_rows.end()) {
      // Ask for the packed layout explicitly: the kernel for this row count reads the same blocks.
      const dnnl::matmul::primitive_desc pd(
          dnnl::matmul::desc(src, p.packed, p.bias.get_desc(), dst), p.attr, cpu_engine());
      // Batches come in many sizes; keep the cache bounded (oneDNN keeps its own cache too).
      if (p.by_rows.size() >= 256) p.by_rows.clear();
      found = p.by_rows.emplace(rows, dnnl::matmul(pd)).first;
    }
    product = found->second;
  }
  memory src_mem(src, cpu_engine(), const_cast<void*>(x));
  memory dst_mem(dst, cpu_engine(), y);
  dnnl::stream stream(cpu_engine());
  product.execute(stream, {{DNNL_ARG_SRC, src_mem},
                           {DNNL_ARG_WEIGHTS, p.weights},
                           {DNNL_ARG_BIAS, p.bias},
                           {DNNL_ARG_DST, dst_mem}});
  stream.wait();
}

void convert_rows_to_bf16(const float* src, size_t rows, size_t cols, void* dst) {
  auto* out = static_cast<uint16_t*>(dst);
  const auto n = static_cast<long>(rows);
#pragma omp parallel for schedule(static)
  for (long r = 0; r < n; ++r)
    convert_from_f32(src + r * cols, DType::bf16, out + r * cols, cols);
}

}  // namespace simscore
