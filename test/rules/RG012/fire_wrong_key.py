# A specific rate fed from another key of the same config (litgpt's LoRA layers after `lora_dropout` was added,
# OpenNMT-py's decoder falling back to `opt.dropout` for the attention dropout).
from dataclasses import dataclass

import torch.nn as nn


@dataclass
class Config:
    n_embd: int = 768
    dropout: float = 0.0
    lora_r: int = 8
    lora_dropout: float = 0.05


class LoRALinear(nn.Module):
    def __init__(self, in_features, out_features, r=0, lora_dropout=0.0):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.lora_dropout = nn.Dropout(p=lora_dropout)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: Config) -> None:
        super().__init__()
        self.attn = LoRALinear(
            config.n_embd,
            3 * config.n_embd,
            r=config.lora_r,
            lora_dropout=config.dropout,  # expect: RG012
        )


class TransformerDecoder(nn.Module):
    def __init__(self, num_layers, d_model, heads, dropout, attention_dropout, embeddings):
        super().__init__()
        self.embeddings = embeddings
        self.drop = nn.Dropout(dropout)
        self.attn = nn.MultiheadAttention(d_model, heads, dropout=attention_dropout)

    @classmethod
    def from_opt(cls, opt, embeddings):
        return cls(
            opt.dec_layers,
            opt.dec_rnn_size,
            opt.heads,
            opt.dropout[0] if type(opt.dropout) is list else opt.dropout,
            opt.attention_dropout[0] if type(opt.attention_dropout)
            is list else opt.dropout,  # expect: RG012
            embeddings,
        )
