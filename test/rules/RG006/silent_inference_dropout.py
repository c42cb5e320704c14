# Dropout meant to stay on at inference, where the code says so. Shortened from torchaudio's and fairseq's
# Tacotron 2 prenets, latent-diffusion's sampling step and fairseq's FairseqDropout.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Prenet(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b, bias=False) for a, b in zip(sizes, sizes[1:])])

    def forward(self, x):
        # The name says it: Tacotron's prenet drops at synthesis time too.
        for linear in self.layers:
            x = F.dropout(F.relu(linear(x)), p=0.5, training=True)
        return x


class DecoderInput(nn.Module):
    def __init__(self, dim, p):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.p = p

    def forward(self, x):
        x = F.dropout(self.fc(x), p=self.p)  # always applies dropout
        return x


class Sampler(nn.Module):
    @torch.no_grad()
    def step(self, mean, noise, noise_dropout=0.0):
        if noise_dropout > 0.0:
            noise = F.dropout(noise, p=noise_dropout)
        return mean + noise


class SwitchableDropout(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p
        self.apply_during_inference = False

    def forward(self, x):
        if self.p > 0 and (self.training or self.apply_during_inference):
            return F.dropout(x, p=self.p, training=True)
        return x
