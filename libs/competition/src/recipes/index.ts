import { hubmapGenerator } from './hubmap.js';
import { sartoriusGenerator } from './sartorius.js';
import type { RecipeGenerator } from './types.js';

/** Generators a bundle can name in `data.recipe.generator`. */
export const RECIPE_GENERATORS: Readonly<Record<string, RecipeGenerator<any>>> = {
  [hubmapGenerator.name]: hubmapGenerator,
  [sartoriusGenerator.name]: sartoriusGenerator,
};
