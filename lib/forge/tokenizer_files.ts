/**
 * The Hugging Face tokenizer files for a trained {@link Bpe}: tokenizer.json (a Llama-2-style
 * BPE with byte fallback and metaspace), tokenizer_config.json (with the Llama-2 chat
 * template) and special_tokens_map.json.
 *
 * @module
 */
import { type Bpe, METASPACE, SPECIAL_TOKENS } from "./bpe.ts";

/** The Llama-2 chat template (as in meta-llama/Llama-2-7b-chat-hf). */
export const LLAMA2_CHAT_TEMPLATE =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}" +
  "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}" +
  "{% set system_message = false %}{% endif %}{% for message in loop_messages %}" +
  "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}" +
  "{% endif %}{% if loop.index0 == 0 and system_message != false %}" +
  "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}" +
  "{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}" +
  "{% endif %}{% endfor %}";

/**
 * Builds the tokenizer.json object (HF `tokenizers` format) for a trained BPE.
 *
 * @example
 * ```ts
 * JSON.stringify(tokenizerJson(trainBpe(paragraphs, 1024)));
 * ```
 */
export function tokenizerJson(bpe: Bpe): Record<string, unknown> {
  const special = SPECIAL_TOKENS.map((content) => ({
    id: bpe.vocab.get(content)!,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: special,
    normalizer: null,
    pre_tokenizer: {
      type: "Metaspace",
      replacement: METASPACE,
      prepend_scheme: "first",
      split: false,
    },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "<s>", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "<s>", type_id: 1 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { "<s>": { id: "<s>", ids: [bpe.vocab.get("<s>")!], tokens: ["<s>"] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: METASPACE }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(bpe.vocab),
      merges: bpe.merges,
    },
  };
}

/** tokenizer_config.json: Llama-2 settings, special tokens and chat template. */
export function tokenizerConfigJson(maxLength: number): Record<string, unknown> {
  const tok = (content: string) => ({
    __type: "AddedToken",
    content,
    lstrip: false,
    normalized: false,
    rstrip: false,
    single_word: false,
  });
  return {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: tok("<s>"),
    eos_token: tok("</s>"),
    unk_token: tok("<unk>"),
    pad_token: null,
    chat_template: LLAMA2_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    legacy: false,
    model_max_length: maxLength,
    padding_side: "left",
    sp_model_kwargs: {},
    tokenizer_class: "LlamaTokenizer",
    use_default_system_prompt: false,
  };
}

/** special_tokens_map.json. */
export function specialTokensMapJson(): Record<string, unknown> {
  return { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>" };
}
