import { who } from './layout.js';

who();
