#pragma once
// The shape and numeric settings of a BERT-family encoder, as config.json describes them.

#include <string>

namespace simscore {

enum class Activation { gelu_erf, gelu_tanh, relu };

struct EncoderConfig {
  std::string model_type = "bert";
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 0;
  int type_vocab_size = 2;
  float layer_norm_eps = 1e-12f;
  Activation activation = Activation::gelu_erf;
  // Position ids start here: 0 for BERT; pad_token_id + 1 for RoBERTa / XLM-R.
  int position_offset = 0;

  int head_dim() const { return hidden_size / num_heads; }
};

}  // namespace simscore
