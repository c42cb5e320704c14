import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import drop_path
from flash_attn import flash_attn_func


def functional_block(x, p, training):
    # A free function has no `self.training`; its caller decides.
    return F.dropout(x, p, training=training)


class NotAModule:
    def forward(self, x):
        return F.dropout(x, 0.1)


class Block(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.p = p
        self.drop = nn.Dropout(p)

    def forward(self, x, training=None):
        x = F.dropout(x, self.p, training=self.training)
        x = F.dropout(x, self.p, self.training)
        x = F.alpha_dropout(x, self.p)
        x = F.feature_alpha_dropout(x, self.p)
        x = drop_path(x, self.p)
        x = torch.dropout(x, self.p, self.training)
        x = F.dropout(x, self.p, training=self.training and self.p > 0)
        if self.training:
            x = F.dropout(x, self.p)
        elif self.p > 0:
            pass
        x = F.dropout(x, self.p) if self.training else x
        x = self.training and F.dropout(x, self.p)
        return self.drop(self.fc(x))

    def regularize(self, x):
        if not self.training:
            return x
        return F.dropout(x, self.p)

    @staticmethod
    def apply_dropout(x, p):
        return F.dropout(x, p)

    def forward_with_splat(self, x, **kwargs):
        return F.dropout(x, self.p, **kwargs)



class FlashSelfAttention(nn.Module):
    # The rate is switched off on the module in evaluation: RG013 reports that it stays off, not RG006.
    def __init__(self, attention_dropout=0.1):
        super().__init__()
        self.dropout_p = attention_dropout

    def forward(self, q, k, v):
        if not self.training:
            self.dropout_p = 0.0
        return flash_attn_func(q, k, v, self.dropout_p, causal=True)
