# LLaVA style: the image features are scattered into the embedded sequence after its dropout.
import torch
import torch.nn as nn


class MultimodalProjector(nn.Module):
    def __init__(self, vision_dim, text_dim):
        super().__init__()
        self.linear_1 = nn.Linear(vision_dim, text_dim)
        self.act = nn.GELU()
        self.linear_2 = nn.Linear(text_dim, text_dim)

    def forward(self, image_features):
        return self.linear_2(self.act(self.linear_1(image_features)))


class LlavaLike(nn.Module):
    def __init__(self, config, language_model, vision_tower):
        super().__init__()
        self.vision_tower = vision_tower
        self.multi_modal_projector = MultimodalProjector(config.vision_hidden_size, config.hidden_size)
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


class AudioLM(nn.Module):
    def __init__(self, vocab, dim, p=0.1):
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, dim)
        self.audio_encoder = nn.Linear(80, dim)
        self.drop = nn.Dropout(p)
        self.decoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(dim, 8, dropout=p), 4)

    def forward(self, tokens, mel, audio_positions):
        h = self.drop(self.tok_embeddings(tokens))  # expect: RG001
        audio = self.audio_encoder(mel)
        h[audio_positions] = audio
        return self.decoder(h)
