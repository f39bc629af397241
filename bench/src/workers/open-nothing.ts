// The floor of every cold-open figure: node and the IPC answer, no store.
import { answer } from './answer.js';

answer(performance.now(), { total: 0, items: 0, loaded: 0 });
