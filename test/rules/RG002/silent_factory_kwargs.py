# The same layer where the splat may carry the rate (`**kwargs` of the constructor), or the rate is passed beside
# the device-and-dtype dict: nothing says the feed-forward branch goes undropped.
import torch.nn as nn
from timm.layers import Mlp


class EncoderLayer(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0, dropout=0.1, device=None, dtype=None, **kwargs):
        super().__init__()
        dd = dict(device=device, dtype=dtype)
        self.self_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True, **dd)
        self.norm1 = nn.LayerNorm(dim, **dd)
        self.norm2 = nn.LayerNorm(dim, **dd)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), **kwargs)
        self.mlp2 = Mlp(dim, int(dim * mlp_ratio), drop=dropout, **dd)
        self.dropout1 = nn.Dropout(dropout)

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.dropout1(self.self_attn(h, h, h, need_weights=False)[0])
        x = x + self.mlp(self.norm2(x))
        x = x + self.mlp2(self.norm2(x))
        return x


class UpdatedKwargsLayer(nn.Module):
    """The dict gains the rate after it is built: what it holds is not its literal."""

    def __init__(self, dim, num_heads, dropout=0.1, device=None, dtype=None):
        super().__init__()
        mlp_kwargs = {"device": device, "dtype": dtype}
        mlp_kwargs.update(drop=dropout)
        self.self_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, dim * 4, **mlp_kwargs)
        self.dropout1 = nn.Dropout(dropout)

    def forward(self, x):
        x = x + self.dropout1(self.self_attn(x, x, x, need_weights=False)[0])
        return x + self.mlp(self.norm2(x))
