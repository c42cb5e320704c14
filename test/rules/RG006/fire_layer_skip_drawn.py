# LayerDrop as fairseq, WavLM and Hugging Face write it (the draw in a local before the condition), with the
# training check left out.
import numpy as np
import torch
import torch.nn as nn


class TransformerEncoder(nn.Module):
    """fairseq's hubert_asr / WavLM loop, without `not self.training or`."""

    def __init__(self, layers, layerdrop=0.1):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.layerdrop = layerdrop

    def forward(self, x, padding_mask=None):
        for i, layer in enumerate(self.layers):
            dropout_probability = np.random.random()
            if dropout_probability > self.layerdrop:  # expect: RG006
                x, z = layer(x, self_attn_padding_mask=padding_mask, need_weights=False)
        return x


class Wav2Vec2Encoder(nn.Module):
    """Hugging Face's wav2vec2 loop, with `self.training and` left out of `skip_the_layer`."""

    def __init__(self, config, layers):
        super().__init__()
        self.config = config
        self.layers = nn.ModuleList(layers)

    def forward(self, hidden_states, attention_mask=None, synced_gpus=False):
        for layer in self.layers:
            dropout_probability = torch.rand([])
            skip_the_layer = True if dropout_probability < self.config.layerdrop else False
            if not skip_the_layer or synced_gpus:  # expect: RG006
                layer_outputs = layer(hidden_states, attention_mask=attention_mask)
                hidden_states = layer_outputs[0]
        return hidden_states


class WhisperEncoder(nn.Module):
    """Hugging Face's Whisper loop, without its `if self.training:` around the draw."""

    def __init__(self, layers, layerdrop=0.1):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.layerdrop = layerdrop

    def forward(self, hidden_states):
        for idx, encoder_layer in enumerate(self.layers):
            to_drop = False
            dropout_probability = torch.rand([])
            if dropout_probability < self.layerdrop:  # skip the layer
                to_drop = True

            if to_drop:  # expect: RG006
                layer_outputs = (None, None)
            else:
                layer_outputs = encoder_layer(hidden_states)
                hidden_states = layer_outputs[0]
        return hidden_states
