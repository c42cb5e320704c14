# Modules reached through attribute chains, where the image is never merged after a dropout: MiniMind-V with the
# dropout moved after the splice, a chain that names a norm and not a dropout, and a ModuleDict entry dropped after
# the concatenation.
import torch
import torch.nn as nn


class LMModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.dropout = nn.Dropout(config.dropout)
        self.norm = nn.LayerNorm(config.hidden_size)

    def forward(self, input_ids):
        return self.norm(self.dropout(self.embed_tokens(input_ids)))


class CausalLM(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.model = LMModel(config)


class VLMDroppedAfterSplice(CausalLM):
    def __init__(self, config):
        super().__init__(config)
        self.vision_proj = nn.Linear(config.vision_size, config.hidden_size)

    def splice(self, h, vision_tensors):
        return torch.cat([self.vision_proj(vision_tensors), h], dim=1)

    def forward(self, input_ids, vision_tensors=None):
        hidden_states = self.model.embed_tokens(input_ids)
        if vision_tensors is not None:
            hidden_states = self.splice(hidden_states, vision_tensors)
        return self.model.dropout(hidden_states)


class VLMNormNotDropout(CausalLM):
    def __init__(self, config):
        super().__init__(config)
        self.vision_proj = nn.Linear(config.vision_size, config.hidden_size)

    def forward(self, input_ids, vision_tensors):
        hidden_states = self.model.norm(self.model.embed_tokens(input_ids))
        return torch.cat([self.vision_proj(vision_tensors), hidden_states], dim=1)


class PrefixGPTFused(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(config.vocab_size, config.n_embd),
                "drop": nn.Dropout(config.dropout),
            }
        )
        self.vision_proj = nn.Linear(config.vision_dim, config.n_embd)

    def forward(self, idx, image_embeds):
        x = torch.cat([self.vision_proj(image_embeds), self.transformer.wte(idx)], dim=1)
        return self.transformer.drop(x)
