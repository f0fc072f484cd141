// Text imports (`with { type: 'text' }`): SQL migrations and dashboard assets are embedded
// in the executable as strings.
declare module '*.sql' {
  const text: string
  export default text
}
