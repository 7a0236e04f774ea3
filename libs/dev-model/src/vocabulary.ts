/**
 * Whole-word pieces of the dev tokenizer: everyday English plus product-catalogue words, so typical
 * search queries tokenize into a few meaningful ids instead of single letters. Order matters: it
 * fixes the token ids, and changing it changes every dev model generated afterwards.
 */
export const DEV_VOCABULARY_WORDS: readonly string[] = `
a an the and or of in on with for to from by at as is are be it this that these those my your our
not no new old best top free more most less very all any some each one two three four five six ten
photo image picture view front back side close up detail set pair pack kit box bag case cover
red orange yellow green blue purple pink brown black white gray grey silver gold beige navy teal
cream ivory tan olive maroon khaki coral turquoise multicolor dark light bright pale clear
small medium large big little tiny huge long short tall wide narrow thin thick round square flat
soft hard smooth rough shiny matte striped plaid floral printed plain solid dotted checked
leather cotton wool silk linen denim suede nylon polyester velvet lace canvas rubber plastic metal
steel iron wood wooden glass ceramic stone marble bamboo paper cardboard fabric knit mesh fur
shoe shoes boot boots sneaker sneakers sandal sandals heel heels slipper slippers loafer loafers
shirt shirts tshirt blouse top tops sweater hoodie jacket coat vest suit blazer cardigan
dress dresses skirt skirts pants trousers jeans shorts leggings jumpsuit pajamas swimsuit bikini
sock socks hat hats cap beanie scarf glove gloves belt tie watch watches ring necklace bracelet
earring earrings jewelry sunglasses glasses wallet purse handbag backpack suitcase umbrella
chair chairs table tables sofa couch bed beds desk shelf lamp lamps rug carpet curtain pillow
cushion blanket mirror cabinet drawer stool bench wardrobe bookcase sink toilet shower bathtub
plate bowl cup mug glass bottle jar pan pot kettle knife fork spoon towel basket vase candle clock
phone laptop computer tablet keyboard mouse monitor screen camera headphones speaker charger cable
tv television radio printer router console controller battery bulb fan heater
toy toys doll ball puzzle game book books pen pencil notebook card poster frame art painting
bike bicycle car truck wheel tire helmet tent kayak surfboard skateboard skis golf tennis football
dog cat bird fish horse flower flowers plant plants tree leaf grass garden apple banana orange
food fruit vegetable bread cake cookie coffee tea wine beer water milk juice chocolate cheese
man woman men women boy girl kid kids baby child children people person model hand face
summer winter spring autumn fall outdoor indoor home kitchen bathroom bedroom office living room
sport sports running casual formal classic modern vintage retro elegant luxury cheap basic
style fashion design brand size color colour made handmade natural organic waterproof warm cool
left right under over inside outside near between
`
  .trim()
  .split(/\s+/)
  .filter((word, index, all) => all.indexOf(word) === index);

/** Word endings kept as separate pieces so inflected forms ("chairs", "running") stay short. */
export const DEV_VOCABULARY_SUFFIXES: readonly string[] = ['s', 'es', 'ed', 'ing', 'er', 'est', 'ly', 'y'];
