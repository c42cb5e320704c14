# A feed-forward chosen by a constructor argument, where nothing drops one output twice: the 1-D conv variant ends
# with its projection (speechbrain after 6c991b2), or the block drops the output only on the other variant's path.
import torch
import torch.nn as nn

import speechbrain as sb


class FixedEncoderLayer(nn.Module):
    def __init__(self, d_ffn, d_model, dropout=0.0, ffn_type="regularFFN"):
        super().__init__()
        if ffn_type == "regularFFN":
            self.pos_ffn = sb.nnet.attention.PositionalwiseFeedForward(d_ffn=d_ffn, input_size=d_model, dropout=dropout)
        elif ffn_type == "1dcnn":
            self.pos_ffn = nn.Sequential(
                nn.Conv1d(d_model, d_ffn, 3, 1, (3 // 2)),
                nn.ReLU(),
                nn.Conv1d(d_ffn, d_model, 3, 1, (3 // 2)),
            )
        self.norm2 = sb.nnet.normalization.LayerNorm(d_model, eps=1e-6)
        self.dropout2 = torch.nn.Dropout(dropout)

    def forward(self, src):
        output = self.pos_ffn(src.transpose(1, 2)).transpose(1, 2)
        return self.norm2(src + self.dropout2(output))


class PairedEncoderLayer(nn.Module):
    def __init__(self, d_ffn, d_model, dropout=0.0, ffn_type="regularFFN"):
        super().__init__()
        if ffn_type == "1dcnn":
            self.pos_ffn = nn.Sequential(nn.Conv1d(d_model, d_ffn, 3, 1, 1), nn.ReLU(), nn.Dropout(dropout))
        else:
            self.pos_ffn = sb.nnet.attention.PositionalwiseFeedForward(d_ffn=d_ffn, input_size=d_model, dropout=dropout)
        self.dropout2 = torch.nn.Dropout(dropout)
        self.ffn_type = ffn_type

    def forward(self, src):
        if self.ffn_type == "1dcnn":
            output = self.pos_ffn(src)
        else:
            output = self.dropout2(self.pos_ffn(src))
        return src + output
