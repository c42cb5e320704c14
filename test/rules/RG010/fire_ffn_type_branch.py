# SpeechBrain style (speechbrain 6c991b2): the feed-forward is chosen by a constructor argument, and the 1-D conv
# variant ends with nn.Dropout while forward drops whatever the feed-forward returns again before the residual add.
from typing import Optional

import torch
import torch.nn as nn

import speechbrain as sb


class TransformerEncoderLayer(nn.Module):
    def __init__(self, d_ffn, nhead, d_model, dropout=0.0, activation=nn.ReLU, ffn_type="regularFFN"):
        super().__init__()
        self.self_att = sb.nnet.attention.MultiheadAttention(nhead=nhead, d_model=d_model, dropout=dropout)
        if ffn_type == "regularFFN":
            self.pos_ffn = sb.nnet.attention.PositionalwiseFeedForward(
                d_ffn=d_ffn,
                input_size=d_model,
                dropout=dropout,
                activation=activation,
            )
        elif ffn_type == "1dcnn":
            self.pos_ffn = nn.Sequential(
                nn.Conv1d(d_model, d_ffn, 3, 1, (3 // 2)),
                nn.ReLU(),
                nn.Conv1d(d_ffn, d_model, 3, 1, (3 // 2)),
                nn.Dropout(dropout),  # expect: RG010
            )

        self.norm1 = sb.nnet.normalization.LayerNorm(d_model, eps=1e-6)
        self.norm2 = sb.nnet.normalization.LayerNorm(d_model, eps=1e-6)
        self.dropout1 = torch.nn.Dropout(dropout)
        self.dropout2 = torch.nn.Dropout(dropout)
        self.pos_ffn_type = ffn_type

    def forward(self, src, src_mask: Optional[torch.Tensor] = None):
        output, self_attn = self.self_att(src, src, src, attn_mask=src_mask)
        src = src + self.dropout1(output)
        src = self.norm1(src)

        src1 = src
        if self.pos_ffn_type == "1dcnn":
            src1 = src1.transpose(1, 2)
        output = self.pos_ffn(src1)
        if self.pos_ffn_type == "1dcnn":
            output = output.transpose(1, 2)
        output = src + self.dropout2(output)
        output = self.norm2(output)
        return output, self_attn
