import { flaggedCategories } from './moderation-policy.js';
import { rekognitionScores } from './rekognition-moderation.js';

describe('flaggedCategories', () => {
  const scores = { sexual: 0.92, violence: 0.55, 'self-harm': 0.2, 'sexual/minors': 0.6 };

  it('flags every category at or over the default threshold, most confident first, without a policy', () => {
    expect(flaggedCategories(scores, 0.5, null)).toEqual(['sexual', 'sexual/minors', 'violence']);
    expect(flaggedCategories({ violence: 0.5 }, 0.5, null)).toEqual(['violence']);
    expect(flaggedCategories({}, 0.5, null)).toEqual([]);
  });

  it("follows a persona's thresholds for the categories it names, and the default for the others", () => {
    expect(flaggedCategories(scores, 0.5, { thresholds: { violence: 0.8, 'self-harm': 0.1 } })).toEqual(['sexual', 'sexual/minors', 'self-harm']);
  });

  it('never flags a category the persona allows, matched by its whole name', () => {
    expect(flaggedCategories(scores, 0.5, { allowedCategories: ['sexual'] })).toEqual(['sexual/minors', 'violence']);
  });

  it('lets no persona allow or loosen a protected category', () => {
    const lenient = { allowedCategories: ['sexual/minors'], thresholds: { 'sexual/minors': 1 } };
    expect(flaggedCategories({ 'sexual/minors': 0.6 }, 0.5, lenient)).toEqual(['sexual/minors']);
    // Stricter is allowed.
    expect(flaggedCategories({ 'sexual/minors': 0.2 }, 0.5, { thresholds: { 'sexual/minors': 0.1 } })).toEqual(['sexual/minors']);
  });
});

describe('rekognitionScores', () => {
  it("scores each top-level category by its most confident label, named as OpenAI's where they mean the same", () => {
    const labels = [
      { Name: 'Explicit Nudity', ParentName: '', Confidence: 91.5, TaxonomyLevel: 1 },
      { Name: 'Graphic Male Nudity', ParentName: 'Explicit Nudity', Confidence: 97, TaxonomyLevel: 2 },
      // A child whose parent is not in the answer counts for that parent.
      { Name: 'Weapon Violence', ParentName: 'Violence', Confidence: 40, TaxonomyLevel: 2 },
      { Name: 'Swimwear or Underwear', ParentName: '', Confidence: 70, TaxonomyLevel: 1 },
      { Name: 'Alcohol', ParentName: '', Confidence: 61, TaxonomyLevel: 1 },
      { Name: 'Rude Gestures', ParentName: '', Confidence: 12.5, TaxonomyLevel: 1 },
    ];
    expect(rekognitionScores(labels)).toEqual({ sexual: 0.97, violence: 0.4, suggestive: 0.7, alcohol: 0.61, 'rude gestures': 0.125 });
  });
});
