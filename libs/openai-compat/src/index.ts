export { OpenAICompatModule } from './openai-compat.module.js';
export { OPENAI_ERROR_FORMAT } from './openai-error.format.js';
export { OPENAI_COMPAT_ENTITIES } from './stored-response.entity.js';
