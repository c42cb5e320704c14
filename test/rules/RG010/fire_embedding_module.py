# Embedding modules that end with their own dropout, whose callers drop the output again: OpenNMT's positional
# encoding inside `Embeddings`, with the GPT-2 style decoder's own `self.drop` (OpenNMT-py before ea75c17, with the
# embeddings in the same file), and a BERT-style embeddings module under an extra encoder dropout.
import math

import torch
import torch.nn as nn


class PositionalEncoding(nn.Module):
    def __init__(self, dropout, dim, max_len=5000):
        super().__init__()
        pe = torch.zeros(max_len, dim)
        position = torch.arange(0, max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, dim, 2, dtype=torch.float) * -(math.log(10000.0) / dim))
        pe[:, 0::2] = torch.sin(position.float() * div_term)
        pe[:, 1::2] = torch.cos(position.float() * div_term)
        self.register_buffer("pe", pe.unsqueeze(1))
        self.dropout = nn.Dropout(p=dropout)
        self.dim = dim

    def forward(self, emb, step=None):
        emb = emb * math.sqrt(self.dim)
        if step is None:
            emb = emb + self.pe[: emb.size(0)]
        else:
            emb = emb + self.pe[step]
        emb = self.dropout(emb)
        return emb


class Embeddings(nn.Module):
    def __init__(self, word_vec_size, word_vocab_size, word_padding_idx, dropout=0.0):
        super().__init__()
        self.word_padding_idx = word_padding_idx
        self.word_lut = nn.Embedding(word_vocab_size, word_vec_size, padding_idx=word_padding_idx)
        self.pe = PositionalEncoding(dropout, word_vec_size)

    def forward(self, source, step=None):
        return self.pe(self.word_lut(source), step=step)


class TransformerLMDecoder(nn.Module):
    def __init__(self, d_model, vocab_size, padding_idx, dropout):
        super().__init__()
        self.embeddings = Embeddings(d_model, vocab_size, padding_idx, dropout)
        self.drop = nn.Dropout(dropout)
        self.layer_norm = nn.LayerNorm(d_model, eps=1e-6)

    def forward(self, tgt, step=None):
        emb = self.embeddings(tgt, step=step)
        assert emb.dim() == 3  # len x batch x embedding_dim
        output = emb.transpose(0, 1).contiguous()
        output = self.drop(output)  # expect: RG010
        return self.layer_norm(output)


class BertEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids, position_ids):
        embeddings = self.word_embeddings(input_ids) + self.position_embeddings(position_ids)
        embeddings = self.LayerNorm(embeddings)
        embeddings = self.dropout(embeddings)
        return embeddings


class TextEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embeddings = BertEmbeddings(config)
        self.emb_dropout = nn.Dropout(config.hidden_dropout_prob)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(config.hidden_size, 8), 2)

    def forward(self, input_ids, position_ids):
        hidden_states = self.emb_dropout(self.embeddings(input_ids, position_ids))  # expect: RG010
        return self.encoder(hidden_states)
