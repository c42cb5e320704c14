# NVIDIA NeMo's DoRALinear after 6155913 (nemo/collections/llm/peft/dora.py, Apache-2.0): the correction subtracts
# the dropout's own input, and is skipped in evaluation. Then differences the rule cannot tie to the dropout's input.
import torch
import torch.nn.functional as F
from torch import nn

from nemo.lightning.pytorch.callbacks.peft import AdapterWrapper


class DoRALinear(AdapterWrapper):
    def forward(self, x):
        linear_output, bias, layernorm_output = self.base_linear_forward(x)
        adapter_output = self.adapter(layernorm_output.contiguous())

        mag_norm_scale = (self.adapter.get_weight_magnitude() / self._get_weight_norm()).view(1, 1, -1)

        if self.adapter.dropout is None or not self.training:
            dropout_correction = 0
        else:
            dropout_correction = (mag_norm_scale - 1) * self.base_linear_forward(
                self.adapter.dropout(layernorm_output) - layernorm_output
            )[0]

        return mag_norm_scale * (linear_output + adapter_output) + dropout_correction, bias


class Residual(nn.Module):
    def __init__(self, dim, p):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.drop = nn.Dropout(p)

    def forward(self, x, baseline):
        h = self.proj(x)
        # Nothing ties `baseline` to `h`: a difference of two tensors, not a noise term.
        delta = self.drop(h) - baseline
        # The noise itself, written either way round.
        noise = F.dropout(h, 0.1, self.training) - h
        back = h - self.drop(h)
        # `x` was reassigned after `h` was computed from it: the last assignment of `x` does not read `h`.
        x = self.proj(baseline)
        return delta + noise + back + (self.drop(h) - x)
