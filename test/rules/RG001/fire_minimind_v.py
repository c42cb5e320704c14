# MiniMind-V style: dropout on the token embeddings, then a helper splices the projected image features in.
import torch
import torch.nn as nn
import torch.nn.functional as F


class VisionProj(nn.Module):
    def __init__(self, ve_hidden_size=768, hidden_size=512):
        super().__init__()
        self.vision_proj = nn.Sequential(nn.Linear(ve_hidden_size, hidden_size))

    def forward(self, image_encoders):
        return self.vision_proj(image_encoders)


class MiniMindVLM(nn.Module):
    def __init__(self, config, vision_encoder):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.dropout = nn.Dropout(config.dropout)
        self.layers = nn.ModuleList([nn.Identity() for _ in range(config.num_hidden_layers)])
        self.norm = nn.LayerNorm(config.hidden_size)
        self.vision_encoder = vision_encoder
        self.vision_proj = VisionProj(hidden_size=config.hidden_size)
        self.image_ids = config.image_ids

    @staticmethod
    def get_image_embeddings(image_tensors, vision_model):
        with torch.no_grad():
            outputs = vision_model(pixel_values=image_tensors)
        return outputs.last_hidden_state[:, 1:, :].squeeze()

    def count_vision_proj(self, tokens, h, vision_tensors=None, seqlen=512):
        if vision_tensors is None:
            return h
        vision_proj = self.vision_proj(vision_tensors)
        new_h = []
        for i in range(h.size(0)):
            start_idx, end_idx = 1, 1 + vision_proj.size(1)
            h_i = torch.cat((h[i][:start_idx], vision_proj[i], h[i][end_idx + 1:]), dim=0)[:seqlen]
            new_h.append(h_i)
        return torch.stack(new_h, dim=0)

    def forward(self, input_ids, pixel_values=None, start_pos=0):
        hidden_states = self.dropout(self.embed_tokens(input_ids))  # expect: RG001
        if pixel_values is not None and start_pos == 0:
            vision_tensors = MiniMindVLM.get_image_embeddings(pixel_values, self.vision_encoder)
            hidden_states = self.count_vision_proj(tokens=input_ids, h=hidden_states, vision_tensors=vision_tensors, seqlen=input_ids.shape[1])
        for layer in self.layers:
            hidden_states = layer(hidden_states)
        return self.norm(hidden_states)
