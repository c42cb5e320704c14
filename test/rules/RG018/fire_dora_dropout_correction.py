# NVIDIA NeMo's DoRALinear before 6155913 (nemo/collections/llm/peft/dora.py, Apache-2.0): the dropout correction
# subtracted the layer's input `x` from the dropped adapter input `layernorm_output`, which base_linear_forward
# computes from `x`, so the correction was wrong in training and not zero in evaluation.
import torch
from torch import nn

from nemo.collections.nlp.modules.common.megatron.adapters.parallel_adapters import ParallelLinearAdapter
from nemo.lightning.pytorch.callbacks.peft import AdapterWrapper


class ParallelLinearDoRAAdapter(ParallelLinearAdapter):
    def init_weight_magnitude(self, value):
        self.weight_magnitude = nn.Parameter(value, requires_grad=True)

    def get_weight_magnitude(self):
        return self.weight_magnitude


class DoRALinear(AdapterWrapper):
    def __init__(self, to_wrap: nn.Module, adapter: ParallelLinearDoRAAdapter):
        super().__init__(to_wrap, adapter)
        self.adapter: ParallelLinearDoRAAdapter
        self.scaling = adapter.alpha / adapter.dim
        self.adapter.init_weight_magnitude(self._get_weight_norm())

    def _get_weight_norm(self):
        linear_out_weight = self.adapter.linear_out.weight
        linear_in_weight = self.adapter.linear_in.weight
        weight = self.to_wrap.weight + self.scaling * linear_out_weight @ linear_in_weight
        return torch.linalg.norm(weight, dim=1).to(weight.dtype).detach()

    def forward(self, x):
        linear_output, bias, layernorm_output = self.base_linear_forward(x)
        adapter_output = self.adapter(layernorm_output.contiguous())

        mag_norm_scale = (self.adapter.get_weight_magnitude() / self._get_weight_norm()).view(1, 1, -1)

        if self.adapter.dropout is None:
            dropout_correction = 0
        else:
            assert self.adapter.dropout_position == "pre", (
                "DoRA only supports pre-adapter dropout at this time." "Please set DoRA(..., dropout_position='pre')"
            )
            """
            When dropout is used, equation becomes
              W_0 x + (m /||W_0 + B A|| - 1) W_0 dropout(x) + m /||W_0 + B A|| B A dropout(x)
            = ...
            = m /||W_0 + B A|| (W_0 x + B A dropout(x)) + (m /||W_0 + B A|| - 1) W_0 (dropout(x) - x)
            """
            dropout_correction = (mag_norm_scale - 1) * self.base_linear_forward(
                self.adapter.dropout(layernorm_output) - x  # expect: RG018
            )[0]

        return mag_norm_scale * (linear_output + adapter_output) + dropout_correction, bias


class ReversedCorrection(AdapterWrapper):
    # The same correction with its sign flipped, as `x - dropout(x)`.
    def forward(self, x):
        linear_output, bias, layernorm_output = self.base_linear_forward(x)
        correction = self.base_linear_forward(x - self.adapter.dropout(layernorm_output))[0]  # expect: RG018
        return linear_output - correction, bias
