# LLaVA style, with the image path returning from inside its `if` (a mutation of fire_llava.py with mixed tabs read
# the final `return` into the `if` block this way): the dropout still comes before the merge, but a dropout put after
# the `if` would never see the merged sequence, so no fix is offered.
import torch.nn as nn


class LlavaEarlyReturn(nn.Module):
    def __init__(self, config, language_model, vision_tower, projector):
        super().__init__()
        self.vision_tower = vision_tower
        self.multi_modal_projector = projector
        self.language_model = language_model
        self.embed_dropout = nn.Dropout(config.embd_pdrop)
        self.image_token_index = config.image_token_index

    def forward(self, input_ids, pixel_values=None, attention_mask=None):
        inputs_embeds = self.language_model.get_input_embeddings()(input_ids)
        inputs_embeds = self.embed_dropout(inputs_embeds)  # expect: RG001
        if pixel_values is not None:
            image_outputs = self.vision_tower(pixel_values, output_hidden_states=True)
            image_features = self.multi_modal_projector(image_outputs.hidden_states[-2])
            special_image_mask = (input_ids == self.image_token_index).unsqueeze(-1).expand_as(inputs_embeds)
            inputs_embeds = inputs_embeds.masked_scatter(special_image_mask, image_features)
            return self.language_model(inputs_embeds=inputs_embeds, attention_mask=attention_mask)
        return self.language_model(inputs_embeds=inputs_embeds, attention_mask=attention_mask)
