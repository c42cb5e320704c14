"""A LoRA attention whose configured LoRA dropout never arrives."""
from dataclasses import dataclass

import torch.nn as nn


@dataclass
class Config:
    n_embd: int = 768
    dropout: float = 0.0
    lora_r: int = 8
    lora_dropout: float = 0.05


class LoRALinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, r: int = 0, lora_dropout: float = 0.0):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.lora_A = nn.Linear(in_features, r, bias=False)
        self.lora_B = nn.Linear(r, out_features, bias=False)
        self.lora_dropout = nn.Dropout(lora_dropout)

    def forward(self, x):
        return self.linear(x) + self.lora_B(self.lora_A(self.lora_dropout(x)))


class CausalSelfAttention(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        # Bug: the base model's dropout, not the LoRA dropout the config sets.
        self.attn = LoRALinear(config.n_embd, 3 * config.n_embd, r=config.lora_r, lora_dropout=config.dropout)
        # Stale: left from an unused `nn.Dropout` that was removed; it silences nothing now and would hide a
        # finding this line gets later.
        self.proj = nn.Linear(config.n_embd, config.n_embd)  # noqa: RG007
