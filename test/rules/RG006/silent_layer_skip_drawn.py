# LayerDrop as fairseq, WavLM and Hugging Face write it: the draw in a local, the training check on the condition,
# on the local, or around the draw. Silent.
import numpy as np
import torch
import torch.nn as nn


class TransformerEncoder(nn.Module):
    """fairseq's hubert_asr and wav2vec2, WavLM and BEATs."""

    def __init__(self, layers, layerdrop=0.1):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.layerdrop = layerdrop

    def forward(self, x, padding_mask=None):
        for i, layer in enumerate(self.layers):
            dropout_probability = np.random.random()
            if not self.training or (dropout_probability > self.layerdrop):
                x, z = layer(x, self_attn_padding_mask=padding_mask, need_weights=False)
        for i, layer in enumerate(self.layers):
            dropout_probability = np.random.random() if self.layerdrop > 0 else 1
            if not self.training or (dropout_probability > self.layerdrop):
                x, z = layer(x, self_attn_padding_mask=padding_mask, need_weights=False)
        return x


class Wav2Vec2Encoder(nn.Module):
    """Hugging Face's wav2vec2."""

    def __init__(self, config, layers):
        super().__init__()
        self.config = config
        self.layers = nn.ModuleList(layers)

    def forward(self, hidden_states, attention_mask=None, synced_gpus=False):
        for layer in self.layers:
            dropout_probability = torch.rand([])
            skip_the_layer = True if self.training and (dropout_probability < self.config.layerdrop) else False
            if not skip_the_layer or synced_gpus:
                layer_outputs = layer(hidden_states, attention_mask=attention_mask)
                hidden_states = layer_outputs[0]
            if skip_the_layer:
                layer_outputs = (None, None)
        return hidden_states


class WhisperEncoder(nn.Module):
    """Hugging Face's Whisper."""

    def __init__(self, layers, layerdrop=0.1):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.layerdrop = layerdrop

    def forward(self, hidden_states):
        for idx, encoder_layer in enumerate(self.layers):
            to_drop = False
            if self.training:
                dropout_probability = torch.rand([])
                if dropout_probability < self.layerdrop:  # skip the layer
                    to_drop = True

            if to_drop:
                layer_outputs = (None, None)
            else:
                layer_outputs = encoder_layer(hidden_states)
                hidden_states = layer_outputs[0]
        return hidden_states


class NoisyStack(nn.Module):
    """A drawn local that does not decide whether a layer runs: noise added to each layer's output."""

    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        for layer in self.layers:
            scale = torch.rand([])
            x = layer(x)
            if scale > 0.5:
                x = x * scale
        return x
