# HF BERT style: the attention wrapper returns `(attention_output,) + self_outputs[1:]`, a tuple concatenation, and its
# output layer drops the projection before the post-norm residual add. A gated block that adds its own branches to
# its input (diffusers' fuser) returns the stream, not a branch: the layer that calls it adds nothing bare.
import torch
import torch.nn as nn


class SelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.mha = nn.MultiheadAttention(config.hidden_size, config.num_heads, batch_first=True)

    def forward(self, hidden_states):
        context, weights = self.mha(hidden_states, hidden_states, hidden_states)
        return context, weights


class SelfOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dropout(self.dense(hidden_states))
        return self.LayerNorm(hidden_states + input_tensor)


class Attention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = SelfAttention(config)
        self.output = SelfOutput(config)

    def forward(self, hidden_states):
        self_outputs = self.self(hidden_states)
        attention_output = self.output(self_outputs[0], hidden_states)
        outputs = (attention_output,) + self_outputs[1:]
        return outputs


class GatedSelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))
        self.alpha_attn = nn.Parameter(torch.tensor(0.0))
        self.alpha_dense = nn.Parameter(torch.tensor(0.0))

    def forward(self, x, objs):
        n = x.shape[1]
        h = torch.cat([x, objs], dim=1)
        x = x + self.alpha_attn.tanh() * self.attn(h, h, h)[0][:, :n]
        x = x + self.alpha_dense.tanh() * self.ff(x)
        return x


class GroundedBlock(nn.Module):
    def __init__(self, dim, heads, dropout=0.1):
        super().__init__()
        self.fuser = GatedSelfAttention(dim, heads)
        self.ff = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, hidden_states, objs=None):
        if objs is not None:
            hidden_states = self.fuser(hidden_states, objs)
        return self.drop(self.ff(hidden_states)) + hidden_states
