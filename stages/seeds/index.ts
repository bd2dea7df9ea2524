export { SEED_TYPES, SeedError, normaliseSeedText, readAllSeeds, readSeeds, seedId, toSeed } from './read.js';
