# HF style, post-norm: the attention branch has no dropout, the feed-forward branch does.
import torch.nn as nn


class SelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attn = nn.MultiheadAttention(config.hidden_size, config.num_attention_heads, dropout=config.attention_probs_dropout_prob, batch_first=True)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states):
        out, _ = self.attn(hidden_states, hidden_states, hidden_states, need_weights=False)
        return self.dense(out)


class Layer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = SelfAttention(config)
        self.norm1 = nn.LayerNorm(config.hidden_size)
        self.intermediate = nn.Linear(config.hidden_size, config.intermediate_size)
        self.output = nn.Linear(config.intermediate_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.norm2 = nn.LayerNorm(config.hidden_size)

    def forward(self, hidden_states):
        attention_output = self.attention(hidden_states)
        hidden_states = self.norm1(hidden_states + attention_output)  # expect: RG002
        ff = self.output(nn.functional.gelu(self.intermediate(hidden_states)))
        return self.norm2(hidden_states + self.dropout(ff))
