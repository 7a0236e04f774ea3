import { UnionFind } from './union-find';

describe('UnionFind', () => {
  it('groups transitively linked ids, largest group first, singletons left out', () => {
    const sets = new UnionFind();
    sets.union('b', 'a');
    sets.union('c', 'b');
    sets.union('x', 'y');
    sets.find('alone');
    expect(sets.groups()).toEqual([
      ['a', 'b', 'c'],
      ['x', 'y'],
    ]);
    expect(sets.find('c')).toBe(sets.find('a'));
    expect(sets.find('x')).not.toBe(sets.find('a'));
  });
});
