import { costBand, prepBand } from '../bands.ts';
import { type Household, type Region, type SizeBand, sizeBand } from '../household.ts';
import type { Recipe } from '../recipe.ts';
import { hashUnit } from '../stable-hash.ts';
import { normalizeTerm } from '../term.ts';
import type { Cuisine } from './catalogue-data.ts';

/**
 * The ground truth users act on and no event or table shows. Each region has
 * two favourite cuisines and one it dislikes; large households want cheap,
 * quick food, small ones happily cook long. Everything here is a function of
 * tokens a model can see (region, size band × cuisine, cost, prep), plus a
 * small personal taste per household it cannot — so a trained model can
 * recover most of it, never all of it.
 */
export const REGION_TASTES: Readonly<Record<Region, { favourites: readonly Cuisine[]; disliked: Cuisine }>> = {
  north: { favourites: ['italian', 'american'], disliked: 'indian' },
  south: { favourites: ['mexican', 'mediterranean'], disliked: 'japanese' },
  east: { favourites: ['chinese', 'japanese'], disliked: 'mexican' },
  west: { favourites: ['indian', 'thai'], disliked: 'american' },
};

const FAVOURITE = 1.0;
const DISLIKED = -1.5;

/** Size-band effects, by recipe cost band and prep band. */
const BAND_EFFECTS: Readonly<
  Record<SizeBand, { cost: Record<'low' | 'mid' | 'high', number>; prep: Record<'quick' | 'medium' | 'long', number> }>
> = {
  large: { cost: { low: 0.5, mid: 0, high: -0.8 }, prep: { quick: 0.4, medium: 0, long: -0.8 } },
  family: { cost: { low: 0.3, mid: 0, high: -0.4 }, prep: { quick: 0.2, medium: 0, long: -0.4 } },
  couple: { cost: { low: 0, mid: 0, high: 0 }, prep: { quick: 0, medium: 0, long: 0.2 } },
  single: { cost: { low: 0, mid: 0, high: -0.2 }, prep: { quick: 0.2, medium: 0, long: 0 } },
};

/** Half-width of a household's personal taste per cuisine. */
const PERSONAL_SPREAD = 0.3;

/** The segment's part of the score: what every household of the region and size band shares. */
export function segmentPreference(region: Region, band: SizeBand, recipe: Recipe): number {
  const taste = REGION_TASTES[region];
  const cuisine = normalizeTerm(recipe.cuisine);
  const cuisineEffect = taste.favourites.includes(cuisine as Cuisine) ? FAVOURITE : taste.disliked === cuisine ? DISLIKED : 0;
  const effects = BAND_EFFECTS[band];
  return cuisineEffect + effects.cost[costBand(recipe.cost_per_serving)] + effects.prep[prepBand(recipe.prep_minutes)];
}

/** A household's own liking of a cuisine, in [−0.3, 0.3): fixed by its id, so it is stable across weeks and runs. */
export function personalTaste(householdId: string, cuisine: string): number {
  return hashUnit(`${householdId}|${normalizeTerm(cuisine)}`) * 2 * PERSONAL_SPREAD - PERSONAL_SPREAD;
}

/**
 * How much the household likes the recipe; below DISLIKE_THRESHOLD a user
 * tends to swap it out. For tests and evaluation only: the planner never sees it.
 */
export function hiddenPreferenceScore(household: Household, recipe: Recipe): number {
  return segmentPreference(household.region, sizeBand(household.size), recipe) + personalTaste(household.household_id, recipe.cuisine);
}

/** Scores under this are "disliked": the user edits such a slot with high probability. */
export const DISLIKE_THRESHOLD = -0.6;
