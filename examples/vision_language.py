"""A small vision-language model in the MiniMind-V style: image features are spliced into the text sequence."""
import torch
import torch.nn as nn


class VisionLanguageModel(nn.Module):
    def __init__(self, vocab_size: int = 6400, dim: int = 512, vision_dim: int = 768, depth: int = 8, dropout: float = 0.1):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab_size, dim)
        self.vision_proj = nn.Linear(vision_dim, dim)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList([nn.TransformerEncoderLayer(dim, 8, dropout=dropout, batch_first=True) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, input_ids: torch.Tensor, image_features: torch.Tensor | None = None) -> torch.Tensor:
        # Bug: only the text tokens pass through this dropout; the image tokens are merged in afterwards.
        h = self.dropout(self.embed_tokens(input_ids))
        if image_features is not None:
            h = torch.cat([self.vision_proj(image_features), h], dim=1)
        for layer in self.layers:
            h = layer(h)
        return self.norm(h)
