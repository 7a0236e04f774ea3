/** Disjoint sets over string ids, with path halving and union by size. */
export class UnionFind {
  private readonly parent = new Map<string, string>();
  private readonly size = new Map<string, number>();

  find(id: string): string {
    if (!this.parent.has(id)) {
      this.parent.set(id, id);
      this.size.set(id, 1);
      return id;
    }
    let node = id;
    for (;;) {
      const parent = this.parent.get(node) as string;
      if (parent === node) return node;
      const grandparent = this.parent.get(parent) as string;
      this.parent.set(node, grandparent);
      node = grandparent;
    }
  }

  union(a: string, b: string): void {
    let rootA = this.find(a);
    let rootB = this.find(b);
    if (rootA === rootB) return;
    if ((this.size.get(rootA) ?? 1) < (this.size.get(rootB) ?? 1)) [rootA, rootB] = [rootB, rootA];
    this.parent.set(rootB, rootA);
    this.size.set(rootA, (this.size.get(rootA) ?? 1) + (this.size.get(rootB) ?? 1));
  }

  /** Every set with more than one member, members sorted, largest sets first. */
  groups(): string[][] {
    const byRoot = new Map<string, string[]>();
    for (const id of this.parent.keys()) {
      const root = this.find(id);
      const members = byRoot.get(root) ?? [];
      members.push(id);
      byRoot.set(root, members);
    }
    return [...byRoot.values()]
      .filter((members) => members.length > 1)
      .map((members) => members.sort())
      .sort((a, b) => b.length - a.length || a[0].localeCompare(b[0]));
  }
}
