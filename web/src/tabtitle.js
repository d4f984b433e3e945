// tabTitle is the title of a playground tab: the first line of the comment that opens its
// query ("# Why is Best Buy exposed?" gives "Why is Best Buy exposed?"), or null when the
// query does not open with a comment (GraphiQL then uses the operation name). build.mjs
// patches GraphiQL to call it and checks that every example's title is what it gives.
export function tabTitle(query) {
  const m = /^\s*#[ \t]*(\S[^\r\n]*)/.exec(query || '');
  return m ? m[1].trim().slice(0, 80) : null;
}
