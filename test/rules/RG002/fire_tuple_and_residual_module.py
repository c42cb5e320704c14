# The shapes of silent_tuple_and_residual_module.py with a real asymmetry in each: the output layer forgets its
# dropout while the tuple concatenation stays silent, and the block next to the fuser adds a bare attention branch
# beside a dropped feed-forward one.
import torch
import torch.nn as nn


class SelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.mha = nn.MultiheadAttention(config.hidden_size, config.num_heads, batch_first=True)

    def forward(self, hidden_states):
        context, weights = self.mha(hidden_states, hidden_states, hidden_states)
        return context, weights


class Attention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = SelfAttention(config)
        self.LayerNorm = nn.LayerNorm(config.hidden_size)
        self.resid_dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states):
        self_outputs = self.self(hidden_states)
        attention_output = self.LayerNorm(self_outputs[0] + hidden_states)  # expect: RG002
        outputs = (attention_output,) + self_outputs[1:]
        return outputs


class GatedSelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.alpha_attn = nn.Parameter(torch.tensor(0.0))

    def forward(self, x, objs):
        h = torch.cat([x, objs], dim=1)
        return x + self.alpha_attn.tanh() * self.attn(h, h, h)[0][:, : x.shape[1]]


class GroundedBlock(nn.Module):
    def __init__(self, dim, heads, dropout=0.1):
        super().__init__()
        self.fuser = GatedSelfAttention(dim, heads)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, hidden_states, objs=None):
        if objs is not None:
            hidden_states = self.fuser(hidden_states, objs)
        hidden_states = self.attn(hidden_states, hidden_states, hidden_states)[0] + hidden_states  # expect: RG002
        return self.drop(self.ff(hidden_states)) + hidden_states
