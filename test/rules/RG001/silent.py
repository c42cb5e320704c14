# Merge first, then dropout on the fused sequence; or no other modality at all.
import torch
import torch.nn as nn


class FusedThenDropped(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.vision_proj = nn.Linear(config.vision_size, config.hidden_size)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids, pixel_values=None):
        h = self.embed_tokens(input_ids)
        if pixel_values is not None:
            h = torch.cat([self.vision_proj(pixel_values), h], dim=1)
        h = self.dropout(h)
        return h


class DroppedAfterHelper(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.image_proj = nn.Linear(config.vision_size, config.hidden_size)
        self.drop = nn.Dropout(config.dropout)

    def merge(self, h, image_features):
        return torch.cat([image_features, h], dim=1)

    def forward(self, input_ids, image_features):
        h = self.drop(self.embed_tokens(input_ids))
        h = self.drop(self.merge(h, self.image_proj(image_features)))
        return h


class SoftPrompts(nn.Module):
    """Learned prompt and query tokens are not another modality."""

    def __init__(self, vocab, dim, n_prompts=10, p=0.1):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.prompt_embeddings = nn.Parameter(torch.zeros(1, n_prompts, dim))
        self.query_tokens = nn.Parameter(torch.zeros(1, 32, dim))
        self.pos_embedding = nn.Embedding(512, dim)
        self.drop = nn.Dropout(p)

    def forward(self, input_ids, positions):
        h = self.drop(self.embed_tokens(input_ids))
        b = h.shape[0]
        h = torch.cat([self.prompt_embeddings.expand(b, -1, -1), self.query_tokens.expand(b, -1, -1), h], dim=1)
        return h + self.pos_embedding(positions)


class VisionOnly(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, 16, 16)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_drop = nn.Dropout(p)

    def forward(self, pixel_values):
        x = self.patch_embed(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.pos_drop(x)
