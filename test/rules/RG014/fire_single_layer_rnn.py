# Recurrent dropout that never runs: PyTorch applies it between stacked layers, and these have one.
import torch.nn as nn


def make_aggregator(cfg, embed):
    return nn.Sequential(
        nn.GRU(
            input_size=embed,
            hidden_size=cfg.gru_dim,
            num_layers=1,
            dropout=cfg.dropout,  # expect: RG014
        ),
    )


class Encoder(nn.Module):
    def __init__(self, vocab, dim, dropout=0.3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.LSTM(dim, dim, batch_first=True, dropout=dropout)  # expect: RG014
        self.rnn2 = nn.LSTM(dim, dim, 1, True, True, 0.2)  # expect: RG014

    def forward(self, tokens):
        out, _ = self.rnn(self.embed(tokens))
        return self.rnn2(out)[0]
