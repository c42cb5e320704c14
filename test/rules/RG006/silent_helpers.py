import torch
import torch.nn as nn
import torch.nn.functional as F


def regularize(h, rate, training):
    return F.dropout(h, rate, training=training)


def sample_layers(layers, prob):
    skipped = torch.zeros(len(layers)).uniform_(0.0, 1.0) < prob
    return [layer for layer, skip in zip(layers, skipped) if not skip]


class Encoder(nn.Module):
    def __init__(self, dim, depth, p=0.1, layer_drop=0.2):
        super().__init__()
        self.p = p
        self.layer_drop = layer_drop
        self.layers = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])

    def forward(self, x):
        x = regularize(x, self.p, self.training)
        layers = sample_layers(self.layers, self.layer_drop) if self.training else self.layers
        for layer in layers:
            x = layer(x)
        return x


class MaskedAutoencoder(nn.Module):
    """Masking a share of patches is the pretext task: it runs in evaluation too, and its rate is no dropout."""

    def __init__(self, mask_ratio=0.75):
        super().__init__()
        self.mask_ratio = mask_ratio

    def forward(self, x):
        keep = torch.rand(x.shape[:2], device=x.device) > self.mask_ratio
        return x * keep.unsqueeze(-1)


class LabelEmbedding(nn.Module):
    """Classifier-free guidance: labels are dropped in training, or when the caller forces it."""

    def __init__(self, n, dim, dropout_prob):
        super().__init__()
        self.table = nn.Embedding(n + 1, dim)
        self.n = n
        self.dropout_prob = dropout_prob

    def token_drop(self, labels):
        drop_ids = torch.rand(labels.shape[0], device=labels.device) < self.dropout_prob
        return torch.where(drop_ids, self.n, labels)

    def forward(self, labels, force_drop=False):
        if self.training or force_drop:
            labels = self.token_drop(labels)
        return self.table(labels)


class StochasticBlock(nn.Module):
    def __init__(self, body, drop_rate=0.2):
        super().__init__()
        self.body = body
        self.drop_rate = drop_rate

    def forward(self, x):
        # The statement reads the flag itself: in evaluation the body always runs.
        run = (not self.training) or bool(torch.bernoulli(torch.tensor(1 - self.drop_rate)))
        return x + self.body(x) if run else x
