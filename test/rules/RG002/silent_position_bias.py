# Not every `+` joins a residual branch: a Swin-V2 style continuous position bias (an MLP over a coordinate table)
# added to the attention logits, a mask added to the scores, and image features spliced into the token embeddings
# read nothing of the stream they are added to. The blocks drop their MLP branch, so a real undropped branch would be
# an asymmetry; these adds are not branches.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ShiftedWindowAttentionV2(nn.Module):
    def __init__(self, dim, num_heads, window_size=7, attention_dropout=0.0, dropout=0.1):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512), nn.ReLU(inplace=True), nn.Linear(512, num_heads, bias=False))
        self.register_buffer("relative_coords_table", torch.zeros(1, 2 * window_size - 1, 2 * window_size - 1, 2))
        self.logit_scale = nn.Parameter(torch.log(10 * torch.ones((num_heads, 1, 1))))
        self.attention_dropout = attention_dropout
        self.dropout = dropout

    def forward(self, x, mask=None):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * torch.clamp(self.logit_scale, max=4.6).exp()
        bias_table = self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads)
        relative_position_bias = 16 * torch.sigmoid(bias_table)
        attn = attn + relative_position_bias.unsqueeze(0)
        if mask is not None:
            attn = attn + mask
        attn = F.softmax(attn, dim=-1)
        attn = F.dropout(attn, p=self.attention_dropout, training=self.training)
        x = self.proj(attn @ v)
        return F.dropout(x, p=self.dropout, training=self.training)


class SwinBlockV2(nn.Module):
    def __init__(self, dim, num_heads, dropout=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = ShiftedWindowAttentionV2(dim, num_heads, dropout=dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(dropout))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionLanguageStem(nn.Module):
    def __init__(self, vocab, dim, dropout=0.1):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.vision_tower = nn.Conv2d(3, dim, 14, 14)
        self.mm_mlp = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.ff = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, input_ids, pixel_values):
        tokens = self.embed_tokens(input_ids)
        image_features = self.vision_tower(pixel_values).flatten(2).transpose(1, 2)
        h = tokens + self.mm_mlp(image_features)
        return h + self.drop(self.ff(h))
