// The GraphQL documents the explorer sends. build.mjs validates each one against
// ../schema.graphqls, so a renamed field breaks the build instead of the page. They are
// kept small: every request is bounded by depth and complexity on the server.

const citation = `
fragment Cite on Citation {
  sourceId
  published
  excerpt
  stance
  source { id name attributes { key value } }
}`;

// One dimension's exposure with its strongest chains; used once per dimension.
const exposureFields = `
fragment Chains on Exposure {
  dimension
  score
  intrinsic
  propagated
  modelVersion
  topPaths(first: 3) {
    strength
    share
    hops
    signal { id dimension severity reason validFrom validTo entity { id name kind } }
    steps {
      relationshipId
      type
      flow
      weight
      confidence
      inferred
      validFrom
      validTo
      from { id name kind }
      to { id name kind }
    }
  }
}`;

// exposureQuery reads an entity and its exposure in every dimension (one alias each).
export function exposureQuery(dimensions) {
  const fields = dimensions.map((d) => `  ${d}: exposure(entityId: $id, dimension: ${d}, asOf: $asOf) { ...Chains }`).join('\n');
  return `query ExploreEntity($id: ID!, $asOf: Date) {
  entity(id: $id, asOf: $asOf) { id name kind description aliases validFrom validTo }
${fields}
}
${exposureFields}`;
}

// screenExposureQuery reads a matched entity's exposure per dimension with its strongest
// chain only: what a screening row reports.
export function screenExposureQuery(dimensions) {
  const fields = dimensions
    .map(
      (d) => `  ${d}: exposure(entityId: $id, dimension: ${d}, asOf: $asOf) {
    dimension score intrinsic propagated modelVersion
    topPaths(first: 1) {
      strength
      signal { id }
      steps { relationshipId type flow weight confidence from { id name } to { id name } }
    }
  }`,
    )
    .join('\n');
  return `query ScreenExposure($id: ID!, $asOf: Date) {
${fields}
}`;
}

export const searchQuery = `query ExploreSearch($text: String!) {
  search(text: $text, first: 8) {
    edges { score node { id name kind } }
  }
}`;

// The rules whose dates the slider marks: when they took effect and when their
// obligations fall due.
export const rulesQuery = `query ExploreRules {
  directives: entities(kind: Directive, first: 100) {
    edges { node { id name validFrom validTo obligations { id title due } } }
  }
  laws: entities(kind: Law, first: 100) {
    edges { node { id name validFrom validTo obligations { id title due } } }
  }
}`;

export const entityDetailsQuery = `query ExploreNode($id: ID!, $asOf: Date) {
  entity(id: $id, asOf: $asOf) {
    id
    kind
    name
    aliases
    description
    validFrom
    validTo
    attributes { key value }
    sources { ...Cite }
    signals { id dimension severity reason validFrom validTo sources { ...Cite } }
    obligations { id title due status daysUntilDue }
  }
}
${citation}`;

export const relationshipDetailsQuery = `query ExploreRelationship($id: ID!, $asOf: Date) {
  relationship(id: $id, asOf: $asOf) {
    id
    type
    from { id name kind }
    to { id name kind }
    confidence
    inferred
    share
    note
    validFrom
    validTo
    sources { ...Cite }
  }
}
${citation}`;

// A page of an entity's relationships: "expand neighbours".
export const neighboursQuery = `query ExploreNeighbours($id: ID!, $asOf: Date, $first: Int!, $after: String) {
  entity(id: $id, asOf: $asOf) {
    id
    relationships(direction: BOTH, first: $first, after: $after) {
      edges {
        node {
          id
          type
          validFrom
          validTo
          from { id name kind }
          to { id name kind }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

export const matchQuery = `query ScreenMatch($candidates: [MatchCandidateInput!]!, $asOf: Date) {
  match(candidates: $candidates, asOf: $asOf, first: 3) {
    name
    verdict
    matches {
      score
      matchedName
      node { id name kind }
      reasons { kind detail weight }
    }
  }
}`;

// The organisations and agencies a screening can be run for (rules bind them).
export const partiesQuery = `query ScreenParties {
  organizations: entities(kind: Organization, first: 200) { edges { node { id name } } }
  agencies: entities(kind: Agency, first: 200) { edges { node { id name } } }
}`;

export const organizationRulesQuery = `query ScreenOrganization($id: ID!, $asOf: Date) {
  entity(id: $id, asOf: $asOf) {
    id
    name
    kind
    relationships(direction: IN, types: [BINDS], first: 100) {
      edges { node { fromId } }
    }
  }
}`;

export const ruleStatusQuery = `query ScreenRule($id: ID!, $asOf: Date) {
  compliance(directiveId: $id, asOf: $asOf) {
    directive { id name kind }
    inForce
    parties {
      party { id }
      status
      obligations { id status obligation { due } }
    }
  }
  coverage(ruleId: $id, asOf: $asOf) {
    entities { node { id } }
  }
}`;

// Every document above, for build.mjs to validate (the dimension lists are filled in there).
export function allDocuments(dimensions) {
  return {
    exposureQuery: exposureQuery(dimensions),
    screenExposureQuery: screenExposureQuery(dimensions),
    searchQuery,
    rulesQuery,
    entityDetailsQuery,
    relationshipDetailsQuery,
    neighboursQuery,
    matchQuery,
    partiesQuery,
    organizationRulesQuery,
    ruleStatusQuery,
  };
}
