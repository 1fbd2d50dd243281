export { REDIS_CLIENT, RedisModule, connectRedis } from './redis.module.js';
