# An unused dropout whose rate the file's own config leaves at 0 is latent (information severity); one the config
# sets to a non-zero rate is a warning. Shortened from WavLM, where `dropout_features` is built and never applied.
import torch.nn as nn


class EncoderConfig:
    def __init__(self):
        self.dropout_input: float = 0.1
        self.dropout_features: float = 0.0


class Encoder(nn.Module):
    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.proj = nn.Linear(512, 768)
        self.dropout_input = nn.Dropout(cfg.dropout_input)  # expect: RG007 (warning)
        self.dropout_features = nn.Dropout(cfg.dropout_features)  # expect: RG007 (info)

    def forward(self, x):
        return self.proj(x)
