# Embedding modules and their callers where each value is dropped once: OpenNMT after ea75c17 (the decoder leaves the
# embedding dropout to the positional encoding), an embeddings module that normalizes after its dropout, and one
# without dropout whose caller drops its output.
import torch.nn as nn


class PositionalEncoding(nn.Module):
    def __init__(self, dropout, dim):
        super().__init__()
        self.pe = nn.Embedding(512, dim)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, emb, positions):
        return self.dropout(emb + self.pe(positions))


class Embeddings(nn.Module):
    def __init__(self, vocab, dim, dropout=0.1):
        super().__init__()
        self.word_lut = nn.Embedding(vocab, dim)
        self.pe = PositionalEncoding(dropout, dim)

    def forward(self, source, positions):
        return self.pe(self.word_lut(source), positions)


class TransformerLMDecoder(nn.Module):
    def __init__(self, vocab, dim, dropout=0.1):
        super().__init__()
        self.embeddings = Embeddings(vocab, dim, dropout)
        self.layer_norm = nn.LayerNorm(dim)

    def forward(self, tgt, positions):
        output = self.embeddings(tgt, positions).transpose(0, 1).contiguous()
        return self.layer_norm(output)


class NormAfterDropEmbeddings(nn.Module):
    def __init__(self, vocab, dim, p=0.1):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)
        self.dropout = nn.Dropout(p)
        self.LayerNorm = nn.LayerNorm(dim)

    def forward(self, input_ids):
        return self.LayerNorm(self.dropout(self.word_embeddings(input_ids)))


class PlainEmbeddings(nn.Module):
    def __init__(self, vocab, dim):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)

    def forward(self, input_ids):
        return self.word_embeddings(input_ids)


class Encoder(nn.Module):
    def __init__(self, vocab, dim, p=0.1):
        super().__init__()
        self.embeddings = NormAfterDropEmbeddings(vocab, dim, p)
        self.plain_embeddings = PlainEmbeddings(vocab, dim)
        self.dropout = nn.Dropout(p)

    def forward(self, input_ids):
        return self.dropout(self.embeddings(input_ids)) + self.dropout(self.plain_embeddings(input_ids))
