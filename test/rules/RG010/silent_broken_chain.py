# Two lines cut by the stress harness's mutation of MiniMind-V: a stray bracket ends `self.embed_tokens = nn.Embeze)`,
# and with the import cut above it, tree-sitter reads that line and the next as one chained assignment,
# `self.embed_tokens = … self.dropout = nn.Dropout(…)`. To the user they are two statements: the embeddings are not
# a dropout, and no fix may delete both lines.
import torch.nn as nn
import torchsionProj(nn.Module):
    def __init__(self, ve_hidden_size=768, hidden_size=512):
        super().__init__()


class MiniMindVLM(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed_tokens = nn.Embeze)
        self.dropout = nn.Dropout(config.dropout)
        self.norm = nn.LayerNorm(config.hidden_size)

    def forward(self, input_ids):
        hidden_states = self.dropout(self.embed_tokens(input_ids))
        return self.norm(hidden_states)
