# Bases whose code never uses a subclass's submodules by name: `self.apply(fn)` initialises weights without running
# a module, and PreTrainedModel or LightningModule call only methods the class writes. Shortened from fairseq's
# MMBertForTokenClassification, whose classifier reads the encoder output without its dropout.
import lightning as L
import torch.nn as nn
from transformers import BertPreTrainedModel


class TokenClassifier(BertPreTrainedModel):
    def __init__(self, config, encoder):
        super().__init__(config)
        self.bert = encoder
        self.dropout = nn.Dropout(config.hidden_dropout_prob)  # expect: RG007 (warning)
        self.classifier = nn.Linear(config.hidden_size, 779)
        self.apply(self._init_weights)

    def forward(self, input_ids):
        outputs = self.bert(input_ids)
        return (self.classifier(outputs[0]),)


class Regressor(L.LightningModule):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, 1)
        self.drop = nn.Dropout(p)  # expect: RG007 (warning)

    def forward(self, x):
        return self.fc(x)

    def training_step(self, batch, batch_idx):
        return self(batch).mean()
