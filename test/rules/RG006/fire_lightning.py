import lightning as L
import torch.nn.functional as F


class LitModel(L.LightningModule):
    def training_step(self, batch, batch_idx):
        # Lightning runs training_step in training mode only.
        x, y = batch
        return F.dropout(x, 0.1).sum()

    def validation_step(self, batch, batch_idx):
        x, y = batch
        return F.dropout(x, 0.1).sum()  # expect: RG006
