# An unconditional concatenation with the image tokens first; the text dropout runs before it.
import torch
import torch.nn as nn
import torch.nn.functional as F


class CaptionModel(nn.Module):
    def __init__(self, vocab_size, dim, image_dim, dropout=0.1):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, dim)
        self.image_proj = nn.Linear(image_dim, dim)
        self.dropout = dropout
        self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(dim, 8) for _ in range(2)])

    def forward(self, idx, image_embeds):
        x = F.dropout(self.wte(idx), p=self.dropout, training=self.training)  # expect: RG001
        img = self.image_proj(image_embeds)
        x = torch.cat([img, x], dim=1)
        for block in self.blocks:
            x = block(x)
        return x
