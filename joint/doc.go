// Package joint keeps a node's joint operations: it gathers what a
// principal may see of an operation (LoadOperation, Operations), derives
// custody with package ops, describes it for people (View), and writes the
// operation's objects (CreateOperation, InviteMember, AddTask,
// ProposeHandoff, DecideHandoff, AddSighting, …) through the store.
//
// Every read and every write goes through store.Store with the principal,
// so policy decides what is seen and what is stored; this package never
// filters a result after the fact. Package ops owns the rules (the objects,
// custody, the route) as pure functions; this package only fetches their
// input and stores their output. It serves nothing: the API (package api),
// the CLI and the demo show what it returns.
//
// It sits below package node, which serves the API, so that the API can
// use it.
package joint
