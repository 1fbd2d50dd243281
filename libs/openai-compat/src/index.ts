export { OpenAICompatModule } from './openai-compat.module.js';
