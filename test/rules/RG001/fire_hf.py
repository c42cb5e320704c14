# Hugging Face style: the merge is a method inherited from the library's base class, and the rate comes from the config.
import torch
from torch import nn
from transformers import PreTrainedModel


class VisionLanguagePreTrainedModel(PreTrainedModel):
    base_model_prefix = "model"


class VisionLanguageForConditionalGeneration(VisionLanguagePreTrainedModel):
    def __init__(self, config, vision_tower, language_model):
        super().__init__(config)
        self.vision_tower = vision_tower
        self.multi_modal_projector = nn.Linear(config.vision_config.hidden_size, config.text_config.hidden_size)
        self.language_model = language_model
        self.embed_dropout = nn.Dropout(config.text_config.embd_pdrop)

    def get_image_features(self, pixel_values):
        image_outputs = self.vision_tower(pixel_values, output_hidden_states=True)
        return self.multi_modal_projector(image_outputs.hidden_states[-2])

    def forward(self, input_ids=None, pixel_values=None, attention_mask=None, labels=None):
        inputs_embeds = self.language_model.get_input_embeddings()(input_ids)
        inputs_embeds = self.embed_dropout(inputs_embeds)  # expect: RG001
        if pixel_values is not None:
            image_features = self.get_image_features(pixel_values)
            inputs_embeds, attention_mask, labels = self._merge_input_ids_with_image_features(
                image_features, inputs_embeds, input_ids, attention_mask, labels
            )
        return self.language_model(inputs_embeds=inputs_embeds, attention_mask=attention_mask, labels=labels)


class CrossAttentionCaptioner(VisionLanguagePreTrainedModel):
    """Image features as cross-attention memory are not merged into the token sequence: silent."""

    def __init__(self, config, vision_tower, decoder):
        super().__init__(config)
        self.vision_tower = vision_tower
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.decoder = decoder

    def forward(self, input_ids, pixel_values):
        h = self.dropout(self.embed_tokens(input_ids))
        memory = self.vision_tower(pixel_values)
        return self.decoder(h, encoder_hidden_states=memory)
